"""Busway's own conformance corpus for the pattern engine (``cases/*.json``).

Each file holds one operator family: a JSON array of cases
``{"name", "pattern", "event" | "event_text", "expect"}``. ``pattern`` is a JSON object,
or a string holding raw pattern text (invalid JSON, duplicate keys, exact number
spellings). ``expect`` is ``true``/``false``, ``{"error": reason}`` (the text AWS prints
after ``Reason:``) or, with ``event_text``, ``{"invalid_event": true}``. Error cases
carry no event. Expectations come from the EventBridge reference, sections 2 and 3.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from busway import patterns
from busway.errors import InvalidEventError, InvalidEventPatternError
from busway.patterns import Matcher, matches, parse_pattern

CASES_DIR = Path(__file__).parent / "cases"
MINIMUM_CASES = 200
CASE_KEYS = {"name", "pattern", "event", "event_text", "expect"}


@dataclass(frozen=True)
class Case:
    family: str
    raw: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.family}/{self.raw['name']}"

    @property
    def name(self) -> str:
        return str(self.raw["name"])

    @property
    def text(self) -> str:
        pattern = self.raw["pattern"]
        if isinstance(pattern, str):
            return pattern
        return json.dumps(pattern, ensure_ascii=False)

    @property
    def expect(self) -> Any:
        return self.raw["expect"]

    @property
    def error(self) -> str | None:
        expect = self.expect
        return expect.get("error") if isinstance(expect, dict) else None

    @property
    def event(self) -> dict[str, Any] | None:
        """The event as parsed JSON, or None when the case has no usable event object."""
        if "event" in self.raw:
            return dict(self.raw["event"])
        if "event_text" in self.raw and isinstance(self.expect, bool):
            return dict(json.loads(self.raw["event_text"]))
        return None


def load_family(path: Path) -> list[Case]:
    return [Case(path.stem, raw) for raw in json.loads(path.read_text(encoding="utf-8"))]


FAMILIES = {path.stem: load_family(path) for path in sorted(CASES_DIR.glob("*.json"))}
ALL_CASES = [case for cases in FAMILIES.values() for case in cases]
PATTERN_CASES = [case for case in ALL_CASES if "event_text" not in case.raw]
TEST_EVENT_CASES = [case for case in ALL_CASES if "event_text" in case.raw]


def by_id(cases: list[Case]) -> Any:
    return pytest.mark.parametrize("case", cases, ids=[case.id for case in cases])


def assert_rejected(case: Case) -> None:
    with pytest.raises(InvalidEventPatternError) as info:
        parse_pattern(case.text)
    assert info.value.reason == case.error


@by_id(PATTERN_CASES)
def test_pattern_case(case: Case) -> None:
    if case.error is not None:
        assert_rejected(case)
        return
    pattern = parse_pattern(case.text)
    event = case.event
    assert event is not None
    assert matches(pattern, event) is case.expect
    assert Matcher({"r": pattern}).match(event) == (["r"] if case.expect else [])


@by_id(TEST_EVENT_CASES)
def test_test_event_pattern_case(case: Case) -> None:
    event_text = case.raw["event_text"]
    if case.error is not None:
        with pytest.raises(InvalidEventPatternError) as info:
            patterns.test_event_pattern(case.text, event_text)
        assert info.value.reason == case.error
    elif case.expect == {"invalid_event": True}:
        with pytest.raises(InvalidEventError):
            patterns.test_event_pattern(case.text, event_text)
    else:
        assert patterns.test_event_pattern(case.text, event_text) is case.expect
        event = case.event
        assert event is not None
        assert matches(parse_pattern(case.text), event) is case.expect


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_one_matcher_per_family_agrees_with_reference(family: str) -> None:
    cases = FAMILIES[family]
    compiled = {case.name: parse_pattern(case.text) for case in cases if case.error is None}
    matcher = Matcher(compiled)
    assert len(matcher) == len(compiled)
    for case in cases:
        event = case.event
        if event is None:
            continue
        expected = [name for name, pattern in compiled.items() if matches(pattern, event)]
        assert matcher.match(event) == expected, case.id


def test_corpus_is_large_enough() -> None:
    assert len(ALL_CASES) >= MINIMUM_CASES


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_family_cases_are_well_formed(family: str) -> None:
    names = [case.name for case in FAMILIES[family]]
    assert len(names) == len(set(names)), "case names must be unique within a file"
    for case in FAMILIES[family]:
        assert set(case.raw) <= CASE_KEYS, case.id
        assert isinstance(case.raw["pattern"], str | dict), case.id
        if case.error is None and case.expect != {"invalid_event": True}:
            assert isinstance(case.expect, bool), case.id
            assert ("event" in case.raw) != ("event_text" in case.raw), case.id
