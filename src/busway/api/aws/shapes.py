"""Requests checked against botocore's service models, as AWS's servers check them.

Checking happens in two passes, in AWS's order. First the JSON types: a value of the
wrong kind is a ``SerializationException`` naming the first offender in document order,
worded as AWS words it. Then the constraints of the model (required, length, range,
pattern, enum): every violation is listed in one ``ValidationException`` message::

    2 validation errors detected: Value 'a b' at 'name' failed to satisfy constraint:
    Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+; Value ...

Paths are the member names with a lower-case first letter, list items are
``<list>.<n>.member`` (1-based), map values ``<map>.<key>.member``. Values are printed
as Java prints them: strings bare, lists ``[a, b]``, maps ``{k=v}``, structures
``Shape(member=value, ...)``. Unknown members and ``null`` values are ignored, as AWS
ignores them.

``to_python`` and ``to_aws`` move between AWS's PascalCase shapes and the snake_case
dicts the service layer speaks; map keys are user data and are never renamed.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
import sys
import unicodedata
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import botocore.loaders
from botocore import xform_name
from botocore.model import (
    ListShape,
    MapShape,
    OperationModel,
    ServiceModel,
    Shape,
    StructureShape,
)

from busway.errors import ProtocolError, ValidationError

__all__ = [
    "load_service",
    "parse_input",
    "pattern_of",
    "render_output",
    "to_aws",
    "to_python",
    "validate_input",
]

SERVICES = frozenset({"events", "sqs", "scheduler"})

# AWS prints some enum sets in an order of its own (observed); others follow the model.
_OBSERVED_ENUM_ORDERS = (("HEAD", "POST", "PATCH", "DELETE", "PUT", "GET", "OPTIONS"),)
_ENUM_ORDER = {frozenset(order): order for order in _OBSERVED_ENUM_ORDERS}

# Members AWS's own classes carry beyond the public model; they show in printed values
# (observed in PutEvents' "more than 10 entries" message).
_HIDDEN_MEMBERS = {"PutEventsRequestEntry": ("kmsKeyIdentifier", "internalMetadata")}

# Java's '.' stops at every line terminator, Python's only at '\n'.
_JAVA_DOT = "[^\\n\\r\\u0085\\u2028\\u2029]"
_NUMBERS = frozenset({"integer", "long", "float", "double"})
_JAVA_TYPES = {
    "string": "a String",
    "integer": "an Integer",
    "long": "a Long",
    "float": "a Float",
    "double": "a Double",
    "boolean": "a Boolean",
    "timestamp": "a Timestamp",
    "blob": "a Blob",
}
_UNEXPECTED_LIST = "Start of list found where not expected"
_UNEXPECTED_MAP = "Start of structure or map found where not expected."


@functools.cache
def load_service(name: str) -> ServiceModel:
    """botocore's model of ``events``, ``sqs`` or ``scheduler`` (loaded once)."""
    if name not in SERVICES:
        raise ValueError(f"no AWS service model for {name!r}")
    loader = botocore.loaders.create_loader()
    return ServiceModel(loader.load_service_model(name, "service-2"), service_name=name)


def validate_input(operation: OperationModel, params: Mapping[str, Any]) -> None:
    """Check ``params`` (the decoded JSON body) against the operation's input shape.

    Raises ``ProtocolError("SerializationException", ...)`` for a value of the wrong JSON
    type and ``ValidationError`` with AWS's message for constraint violations.
    """
    shape = operation.input_shape
    if not isinstance(params, Mapping):
        raise ProtocolError("SerializationException", _top_level_mismatch(params))
    if shape is None:
        return
    _check_types(shape, params)
    found = list(_violations(shape, params, ""))
    if found:
        noun = "error" if len(found) == 1 else "errors"
        raise ValidationError(f"{len(found)} validation {noun} detected: " + "; ".join(found))


def parse_input(operation: OperationModel, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``raw`` and return it as a snake_case dict for the service layer."""
    validate_input(operation, raw)
    if operation.input_shape is None:
        return {}
    result: dict[str, Any] = to_python(operation.input_shape, raw)
    return result


def render_output(operation: OperationModel, value: Mapping[str, Any]) -> dict[str, Any]:
    """The service layer's snake_case result as the operation's AWS output shape."""
    if operation.output_shape is None:
        return {}
    result: dict[str, Any] = to_aws(operation.output_shape, value)
    return result


def to_python(shape: Shape, value: Any) -> Any:
    """A value of ``shape`` (already validated) with snake_case structure keys, aware UTC
    datetimes for timestamps, bytes for blobs and ints for integers."""
    if isinstance(shape, StructureShape):
        members = shape.members
        return {
            xform_name(key): to_python(members[key], item)
            for key, item in value.items()
            if key in members and item is not None
        }
    if isinstance(shape, ListShape):
        return [to_python(shape.member, item) for item in value]
    if isinstance(shape, MapShape):
        return {key: to_python(shape.value, item) for key, item in value.items()}
    return _scalar_to_python(shape.type_name, value)


def to_aws(shape: Shape, value: Any) -> Any:
    """The inverse of ``to_python`` for output shapes: member names from the shape,
    epoch seconds for datetimes, base64 for bytes; ``None`` and unknown keys dropped."""
    if isinstance(shape, StructureShape):
        names = _member_names(tuple(shape.members))
        return {
            names[key]: to_aws(shape.members[names[key]], item)
            for key, item in value.items()
            if key in names and item is not None
        }
    if isinstance(shape, ListShape):
        return [to_aws(shape.member, item) for item in value]
    if isinstance(shape, MapShape):
        return {key: to_aws(shape.value, item) for key, item in value.items()}
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


@functools.cache
def _member_names(members: tuple[str, ...]) -> dict[str, str]:
    return {xform_name(name): name for name in members}


def _scalar_to_python(type_name: str, value: Any) -> Any:
    if type_name == "timestamp":
        return datetime.fromtimestamp(value, UTC)
    if type_name in {"integer", "long"}:
        return int(value)
    if type_name in {"float", "double"}:
        return float(value)
    if type_name == "blob":
        return base64.b64decode(value, validate=True)
    return value


# --- pass 1: JSON types -------------------------------------------------------------


def _top_level_mismatch(value: Any) -> str:
    # AWS names a list body; other non-object bodies get a SerializationException
    # without a message.
    return _UNEXPECTED_LIST if isinstance(value, list) else ""


def _check_types(shape: Shape, value: Any) -> None:
    if value is None:
        return
    problem = _type_problem(shape, value)
    if problem:
        raise ProtocolError("SerializationException", problem)
    if isinstance(shape, StructureShape):
        for key, item in value.items():
            if key in shape.members:
                _check_types(shape.members[key], item)
    elif isinstance(shape, ListShape):
        for item in value:
            _check_types(shape.member, item)
    elif isinstance(shape, MapShape):
        for item in value.values():
            _check_types(shape.value, item)


def _type_problem(shape: Shape, value: Any) -> str | None:
    """AWS's words for ``value`` not being of ``shape``'s JSON type, or None."""
    kind = shape.type_name
    if kind == "structure":
        return _container_problem(value, dict, "Expected null")
    if kind == "list":
        return _container_problem(value, list, "Expected list or null")
    if kind == "map":
        return _container_problem(value, dict, "Expected map or null")
    if isinstance(value, list):
        return _UNEXPECTED_LIST
    if isinstance(value, dict):
        return _UNEXPECTED_MAP
    if _scalar_fits(kind, value):
        return None
    return _scalar_problem(kind, value)


def _container_problem(value: Any, expected: type, scalar_message: str) -> str | None:
    if isinstance(value, expected):
        return None
    if isinstance(value, list):
        return _UNEXPECTED_LIST
    if isinstance(value, dict):
        return _UNEXPECTED_MAP
    return scalar_message


def _scalar_fits(kind: str, value: Any) -> bool:
    if kind in _NUMBERS or kind == "timestamp":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "blob":
        return isinstance(value, str) and _is_base64(value)
    return isinstance(value, str)


def _scalar_problem(kind: str, value: Any) -> str:
    target = _JAVA_TYPES.get(kind, "a String")
    if kind == "blob" and isinstance(value, str):
        return f"'{value}' can not be converted to a Blob"
    if isinstance(value, bool):
        return f"{str(value).upper()}_VALUE can not be converted to {target}"
    if isinstance(value, str):
        # Observed: strings are refused with "an Boolean", numbers with "a Boolean".
        target = "an Boolean" if kind == "boolean" else target
        return f"STRING_VALUE can not be converted to {target}"
    return f"NUMBER_VALUE can not be converted to {target}"


def _is_base64(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except binascii.Error:
        return False
    return True


# --- pass 2: constraints ------------------------------------------------------------


def _violations(shape: Shape, value: Any, path: str) -> Iterator[str]:
    if isinstance(shape, StructureShape):
        yield from _structure_violations(shape, value, path)
    elif isinstance(shape, ListShape):
        yield from _list_violations(shape, value, path)
    elif isinstance(shape, MapShape):
        yield from _map_violations(shape, value, path)
    else:
        for constraint in _scalar_failures(shape, value):
            yield _violation(shape, value, path, constraint)


def _structure_violations(
    shape: StructureShape, value: Mapping[str, Any], path: str
) -> Iterator[str]:
    required = set(shape.required_members)
    for name, member in shape.members.items():
        member_path = f"{path}.{_camel(name)}" if path else _camel(name)
        item = value.get(name)
        if item is not None:
            yield from _violations(member, item, member_path)
        elif name in required:
            yield _violation(member, None, member_path, "Member must not be null")


def _list_violations(shape: ListShape, value: list[Any], path: str) -> Iterator[str]:
    for constraint in _length_failures(shape, len(value)):
        yield _violation(shape, value, path, constraint)
    for index, item in enumerate(value, start=1):
        item_path = f"{path}.{index}.member"
        if item is None:
            yield _violation(shape.member, None, item_path, "Member must not be null")
        else:
            yield from _violations(shape.member, item, item_path)


def _map_violations(shape: MapShape, value: Mapping[str, Any], path: str) -> Iterator[str]:
    for constraint in _length_failures(shape, len(value)):
        yield _violation(shape, value, path, constraint)
    # A map breaks a key or value rule once, however many entries break it; AWS then
    # lists every rule of the key (or value) shape.
    if any(_scalar_failures(shape.key, key) for key in value):
        yield _violation(shape, value, path, _map_rule("Map keys", shape.key))
    if isinstance(shape.value, StructureShape | ListShape | MapShape):
        for key, item in value.items():
            if item is not None:
                yield from _violations(shape.value, item, f"{path}.{key}.member")
    elif any(item is not None and _scalar_failures(shape.value, item) for item in value.values()):
        yield _violation(shape, value, path, _map_rule("Map value", shape.value))


def _map_rule(what: str, shape: Shape) -> str:
    rules = [*_length_rules(shape), *_pattern_rules(shape), *_enum_rules(shape)]
    return f"{what} must satisfy constraint: [{', '.join(rules)}]"


def _scalar_failures(shape: Shape, value: Any) -> list[str]:
    """The constraints of a scalar ``value`` that fail, in the order AWS prints them."""
    if shape.type_name == "string":
        failures = [rule for rule in _enum_rules(shape) if value not in shape.enum]
        failures += [r for r in _pattern_rules(shape) if not pattern_of(shape).fullmatch(value)]
        return failures + _length_failures(shape, len(value))
    if shape.type_name in _NUMBERS:
        return _range_failures(shape, value)
    return []


def _length_failures(shape: Shape, length: int) -> list[str]:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and length < low:
        return [f"Member must have length greater than or equal to {_number(low)}"]
    if high is not None and length > high:
        return [f"Member must have length less than or equal to {_number(high)}"]
    return []


def _range_failures(shape: Shape, value: float) -> list[str]:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and value < low:
        return [f"Member must have value greater than or equal to {_number(low)}"]
    if high is not None and value > high:
        return [f"Member must have value less than or equal to {_number(high)}"]
    return []


def _length_rules(shape: Shape) -> list[str]:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    rules = []
    if high is not None:
        rules.append(f"Member must have length less than or equal to {_number(high)}")
    if low is not None:
        rules.append(f"Member must have length greater than or equal to {_number(low)}")
    return rules


def _pattern_rules(shape: Shape) -> list[str]:
    pattern = shape.metadata.get("pattern")
    return [f"Member must satisfy regular expression pattern: {pattern}"] if pattern else []


def _enum_rules(shape: Shape) -> list[str]:
    values = shape.metadata.get("enum")
    if not values:
        return []
    order = _ENUM_ORDER.get(frozenset(values), tuple(values))
    return [f"Member must satisfy enum value set: [{', '.join(order)}]"]


def _violation(shape: Shape, value: Any, path: str, constraint: str) -> str:
    shown = "null" if value is None else f"'{_java_string(shape, value)}'"
    return f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}"


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _number(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else str(bound)


# --- Java's toString of a value, as AWS prints it -----------------------------------


def _java_string(shape: Shape, value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(shape, StructureShape):
        parts = [f"{_camel(n)}={_java_string(m, value.get(n))}" for n, m in shape.members.items()]
        parts += [f"{hidden}=null" for hidden in _HIDDEN_MEMBERS.get(shape.name, ())]
        return f"{shape.name}({', '.join(parts)})"
    if isinstance(shape, ListShape):
        return "[" + ", ".join(_java_string(shape.member, item) for item in value) + "]"
    if isinstance(shape, MapShape):
        items = (f"{key}={_java_string(shape.value, item)}" for key, item in value.items())
        return "{" + ", ".join(items) + "}"
    return _java_scalar(shape.type_name, value)


def _java_scalar(type_name: str, value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if type_name in {"integer", "long"}:
        return str(int(value))
    if type_name in {"float", "double"}:
        return repr(float(value))
    if type_name == "timestamp":
        return datetime.fromtimestamp(value, UTC).strftime("%a %b %d %H:%M:%S UTC %Y")
    return str(value)


# --- Java regular expressions -------------------------------------------------------


def pattern_of(shape: Shape) -> re.Pattern[str]:
    """The compiled (Python) form of a string shape's Java ``pattern``."""
    return _compile_java(shape.metadata["pattern"])


@functools.cache
def _compile_java(pattern: str) -> re.Pattern[str]:
    """A Java regex as a Python one: ``\\p{..}`` classes spelled out, ``.`` stopping at
    every Java line terminator, ``\\w``/``\\d``/``\\s`` ASCII-only as in Java."""
    out: list[str] = []
    index, in_class = 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and pattern[index + 1 : index + 3] in {"p{", "P{"}:
            end = pattern.index("}", index)
            ranges = _category_ranges(pattern[index + 3 : end])
            negate = pattern[index + 1] == "P"
            out.append(ranges if in_class and not negate else f"[{'^' if negate else ''}{ranges}]")
            index = end + 1
            continue
        if char == "\\":
            out.append(pattern[index : index + 2])
            index += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        out.append(_JAVA_DOT if char == "." and not in_class else char)
        index += 1
    return re.compile("".join(out), re.ASCII)


@functools.cache
def _category_ranges(category: str) -> str:
    """The body of a character class matching Unicode general ``category`` (``L``,
    ``Lu``, ``N``, ...), as ``\\Uxxxxxxxx-\\Uxxxxxxxx`` ranges."""
    ranges: list[str] = []
    start = previous = -2
    for code in range(sys.maxunicode + 1):
        if not unicodedata.category(chr(code)).startswith(category):
            continue
        if code != previous + 1:
            if start >= 0:
                ranges.append(f"\\U{start:08x}-\\U{previous:08x}")
            start = code
        previous = code
    if start >= 0:
        ranges.append(f"\\U{start:08x}-\\U{previous:08x}")
    return "".join(ranges)
