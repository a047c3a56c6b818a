"""The match values a pattern field can hold, each testing one event leaf value.

A field is satisfied when any of its operators accepts any of the field's leaf values.
``Exists`` is the exception: it speaks about whether a leaf is there at all, so the
evaluators handle it themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from busway.patterns.ipaddr import Address, Range, in_range, parse_ip
from busway.patterns.numbers import is_number, to_double
from busway.patterns.wildcard import Segments, wildcard_matches


@dataclass(frozen=True, slots=True)
class Exact:
    """A string literal."""

    value: str

    def test(self, value: Any) -> bool:
        return type(value) is str and value == self.value


@dataclass(frozen=True, slots=True)
class ExactIp:
    """A string literal that spells an IP address: any spelling of that address matches."""

    address: Address

    def test(self, value: Any) -> bool:
        return type(value) is str and parse_ip(value) == self.address


@dataclass(frozen=True, slots=True)
class ExactNumber:
    value: float

    def test(self, value: Any) -> bool:
        return is_number(value) and to_double(value) == self.value


@dataclass(frozen=True, slots=True)
class ExactLiteral:
    """``true``, ``false`` or ``null``."""

    value: bool | None

    def test(self, value: Any) -> bool:
        return value is self.value


@dataclass(frozen=True, slots=True)
class Prefix:
    value: str
    ignore_case: bool = False

    def test(self, value: Any) -> bool:
        if type(value) is not str:
            return False
        if self.ignore_case:
            return value.lower().startswith(self.value.lower())
        return value.startswith(self.value)


@dataclass(frozen=True, slots=True)
class Suffix:
    value: str
    ignore_case: bool = False

    def test(self, value: Any) -> bool:
        if type(value) is not str:
            return False
        if self.ignore_case:
            return value.lower().endswith(self.value.lower())
        return value.endswith(self.value)


@dataclass(frozen=True, slots=True)
class EqualsIgnoreCase:
    value: str

    def test(self, value: Any) -> bool:
        return type(value) is str and value.lower() == self.value.lower()


@dataclass(frozen=True, slots=True)
class Wildcard:
    segments: Segments

    def test(self, value: Any) -> bool:
        return type(value) is str and wildcard_matches(self.segments, value)


@dataclass(frozen=True, slots=True)
class AnythingBut:
    """Any present value except these strings or (numerically) these numbers."""

    strings: frozenset[str] = frozenset()
    numbers: frozenset[float] = frozenset()

    def test(self, value: Any) -> bool:
        if type(value) is str:
            return value not in self.strings
        if is_number(value):
            return to_double(value) not in self.numbers
        return True


@dataclass(frozen=True, slots=True)
class AnythingButPrefix:
    values: tuple[str, ...]

    def test(self, value: Any) -> bool:
        return type(value) is not str or not value.startswith(self.values)


@dataclass(frozen=True, slots=True)
class AnythingButSuffix:
    values: tuple[str, ...]

    def test(self, value: Any) -> bool:
        return type(value) is not str or not value.endswith(self.values)


@dataclass(frozen=True, slots=True)
class AnythingButIgnoreCase:
    values: frozenset[str]

    def test(self, value: Any) -> bool:
        return type(value) is not str or value.lower() not in self.values


@dataclass(frozen=True, slots=True)
class AnythingButWildcard:
    values: tuple[Segments, ...]

    def test(self, value: Any) -> bool:
        if type(value) is not str:
            return True
        return not any(wildcard_matches(segments, value) for segments in self.values)


@dataclass(frozen=True, slots=True)
class Numeric:
    """A range over doubles; ``None`` leaves a side open-ended."""

    low: float | None
    low_inclusive: bool
    high: float | None
    high_inclusive: bool

    def test(self, value: Any) -> bool:
        if not is_number(value):
            return False
        number = to_double(value)
        return self.above_low(number) and self.below_high(number)

    def above_low(self, number: float) -> bool:
        if self.low is None:
            return True
        return number >= self.low if self.low_inclusive else number > self.low

    def below_high(self, number: float) -> bool:
        if self.high is None:
            return True
        return number <= self.high if self.high_inclusive else number < self.high


@dataclass(frozen=True, slots=True)
class Cidr:
    range: Range

    def test(self, value: Any) -> bool:
        if type(value) is not str:
            return False
        address = parse_ip(value)
        return address is not None and in_range(address, self.range)


@dataclass(frozen=True, slots=True)
class Exists:
    present: bool

    def test(self, value: Any) -> bool:
        return self.present


Operator = (
    Exact
    | ExactIp
    | ExactNumber
    | ExactLiteral
    | Prefix
    | Suffix
    | EqualsIgnoreCase
    | Wildcard
    | AnythingBut
    | AnythingButPrefix
    | AnythingButSuffix
    | AnythingButIgnoreCase
    | AnythingButWildcard
    | Numeric
    | Cidr
    | Exists
)

ABSENT = Exists(False)
