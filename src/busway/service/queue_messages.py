"""Message bodies and message attributes as SQS checks, stores and digests them.

Message attributes travel as snake_case dicts (``{"data_type": "String",
"string_value": "x"}``); binary values are bytes on the way in and out and base64 text
in the store. ``MD5OfMessageAttributes`` follows AWS's published encoding so that SDKs
that verify it (Java, .NET, Go) accept Busway's answers.
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from busway.errors import InvalidMessageContentsError, ValidationError

MAX_ATTRIBUTES = 10
_INVALID_CHARS = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,256}$")
_TYPE = re.compile(r"^(String|Number|Binary)(\..+)?$")
_RESERVED = ("aws.", "amazon.")


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def check_body(body: str) -> None:
    if _INVALID_CHARS.search(body):
        raise InvalidMessageContentsError()


def stored_attributes(given: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    """Message attributes checked as SQS checks them, in the form the store keeps."""
    if len(given) > MAX_ATTRIBUTES:
        raise ValidationError(
            f"Number of message attributes [{len(given)}] exceeds the allowed maximum "
            f"[{MAX_ATTRIBUTES}]."
        )
    return {name: _stored_value(name, value) for name, value in given.items()}


def _stored_value(name: str, value: Mapping[str, Any]) -> dict[str, str]:
    _check_name(name)
    data_type = str(value.get("data_type", ""))
    if not _TYPE.match(data_type) or len(data_type) > 256:
        raise ValidationError(
            f"The type of message (user) attribute '{name}' is invalid. You must use only the "
            "following supported type prefixes: Binary, Number, String."
        )
    if data_type.startswith("Binary"):
        blob = value.get("binary_value")
        if not blob:
            raise _empty_value(name, data_type)
        return {"data_type": data_type, "binary_value": base64.b64encode(blob).decode()}
    text = value.get("string_value")
    if not text:
        raise _empty_value(name, data_type)
    check_body(text)
    if data_type.startswith("Number"):
        _check_number(name, text)
    return {"data_type": data_type, "string_value": text}


def _check_name(name: str) -> None:
    lowered = name.lower()
    if (
        not _NAME.match(name)
        or lowered.startswith(_RESERVED)
        or name.startswith(".")
        or name.endswith(".")
        or ".." in name
    ):
        raise ValidationError(f"Message (user) attribute name '{name}' is invalid.")


def _check_number(name: str, text: str) -> None:
    try:
        Decimal(text)
    except InvalidOperation:
        raise ValidationError(
            f"Can't cast the value of message (user) attribute '{name}' to a number."
        ) from None


def _empty_value(name: str, data_type: str) -> ValidationError:
    return ValidationError(
        f"Message (user) attribute '{name}' must contain a non-empty value of message "
        f"attribute type '{data_type}'."
    )


def size_of(body: str, attributes: Mapping[str, Mapping[str, str]]) -> int:
    """What counts against MaximumMessageSize: body, attribute names, types and values."""
    size = len(body.encode())
    for name, value in attributes.items():
        size += len(name.encode()) + len(value["data_type"].encode())
        size += len(_value_bytes(value))
    return size


def _value_bytes(value: Mapping[str, str]) -> bytes:
    if "binary_value" in value:
        return base64.b64decode(value["binary_value"])
    return value["string_value"].encode()


def attributes_md5(attributes: Mapping[str, Mapping[str, str]]) -> str | None:
    """AWS's MD5 of message attributes: for each name in byte order, the name, the data
    type and the value, each as a 4-byte big-endian length and its UTF-8 bytes, with a
    transport byte (1 string, 2 binary) before the value."""
    if not attributes:
        return None
    digest = hashlib.md5(usedforsecurity=False)
    for name in sorted(attributes, key=lambda n: n.encode()):
        value = attributes[name]
        digest.update(_framed(name.encode()) + _framed(value["data_type"].encode()))
        digest.update(b"\x02" if "binary_value" in value else b"\x01")
        digest.update(_framed(_value_bytes(value)))
    return digest.hexdigest()


def _framed(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def select(
    attributes: Mapping[str, Mapping[str, str]], names: Iterable[str]
) -> dict[str, Mapping[str, str]]:
    """The attributes a receive asked for: ``All`` or ``.*`` for every one, ``p.*`` for
    names starting with ``p.``, else exact names."""
    wanted = list(names)
    if "All" in wanted or ".*" in wanted:
        return dict(attributes)
    prefixes = tuple(name[:-1] for name in wanted if name.endswith(".*"))
    exact = set(wanted)
    return {
        name: value
        for name, value in attributes.items()
        if name in exact or (prefixes and name.startswith(prefixes))
    }


def wire_attributes(attributes: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, Any]]:
    """Stored attributes as the output shape wants them (bytes for binary values)."""
    out: dict[str, dict[str, Any]] = {}
    for name, value in attributes.items():
        if "binary_value" in value:
            out[name] = {
                "data_type": value["data_type"],
                "binary_value": base64.b64decode(value["binary_value"]),
            }
        else:
            out[name] = dict(value)
    return out
