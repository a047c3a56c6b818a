"""InputTemplate rendering, as EventBridge does it.

A template whose text starts with ``{`` is a JSON template, anything else a string
template. EventBridge never escapes a value; it pastes text in, and for a JSON template
it then minifies the result, or delivers nothing if the result is not valid JSON.

How a value is pasted depends on where its placeholder sits:

==========================  =========  ===============  ====================  =======
value                       string     in JSON quotes   JSON, unquoted        missing
==========================  =========  ===============  ====================  =======
string ``abc``              ``abc``    ``abc``          ``"abc"``             (empty)
number, boolean, null       ``1.5``    ``1.5``          ``1.5``               ``""``
object ``{"a":"b"}``        ``{a:b}``  ``{"a":"b"}``    ``{"a":"b"}``
array ``["x","y"]``         ``[x,y]``  ``["x","y"]``    ``["x","y"]``
==========================  =========  ===============  ====================  =======

"Missing" is a path that resolves to nothing: empty text, or ``""`` as an unquoted JSON
value. An object or array inside JSON quotes breaks the string, so such events are not
delivered; so is a placeholder used as an object key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

from busway.transform.jsonpath import MISSING

PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")


def placeholder_names(template: str) -> list[str]:
    """Every placeholder name in ``template``, in order, repeats included."""
    return PLACEHOLDER.findall(template)


def is_json_template(template: str) -> bool:
    """Whether EventBridge treats ``template`` as JSON (it starts with ``{``)."""
    return template.lstrip().startswith("{")


def render_template(template: str, values: Mapping[str, Any]) -> str | None:
    """``template`` filled from ``values`` (name -> value or ``MISSING``); None = not delivered.

    A ``<name>`` that is not in ``values`` is left as it is.
    """
    if is_json_template(template):
        return render_json_template(template, values)
    return render_string_template(template, values)


def render_string_template(template: str, values: Mapping[str, Any]) -> str:
    """A string template: the text verbatim, each placeholder replaced by its plain text."""

    def replace(match: re.Match[str]) -> str:
        name = match[1]
        return plain_text(values[name]) if name in values else match[0]

    return PLACEHOLDER.sub(replace, template)


def render_json_template(template: str, values: Mapping[str, Any]) -> str | None:
    """A JSON template, minified; None when the filled-in text is not valid JSON."""
    scanner = JsonScanner()
    parts: list[str] = []
    position = 0
    for match in PLACEHOLDER.finditer(template):
        if match[1] not in values:
            continue
        text = template[position : match.start()]
        scanner.feed(text)
        parts.append(text)
        pasted = _json_paste(scanner, values[match[1]])
        if pasted is None:
            return None
        parts.append(pasted)
        position = match.end()
    parts.append(template[position:])
    return minify("".join(parts))


def _json_paste(scanner: JsonScanner, value: Any) -> str | None:
    if scanner.in_string:
        scanner.escaped = False
        return quoted_text(value)
    if scanner.at_key():
        return None
    scanner.last = "value"
    return json_value_text(value)


def minify(text: str) -> str | None:
    """``text`` as compact JSON with key order kept, or None if it is not valid JSON."""
    try:
        return orjson.dumps(orjson.loads(text)).decode()
    except orjson.JSONDecodeError:
        return None


def plain_text(value: Any) -> str:
    """A value in a string template: strings raw, objects and arrays with quotes stripped."""
    if value is MISSING:
        return ""
    if isinstance(value, str):
        return value
    text = compact_json(value)
    return text.replace('"', "") if isinstance(value, Mapping | list | tuple) else text


def quoted_text(value: Any) -> str:
    """A value pasted inside a JSON string literal of a JSON template."""
    if value is MISSING:
        return ""
    return value if isinstance(value, str) else compact_json(value)


def json_value_text(value: Any) -> str:
    """A value pasted where a JSON value belongs; strings are quoted but not escaped."""
    if value is MISSING:
        return '""'
    return f'"{value}"' if isinstance(value, str) else compact_json(value)


def compact_json(value: Any) -> str:
    """``value`` as compact JSON, key order kept."""
    return orjson.dumps(value, default=_plain_container).decode()


def _plain_container(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


class JsonScanner:
    """Where a JSON template's text has got to: in a string or not, and in which container.

    Fed only the template's own text, never pasted values, as EventBridge decides how to
    paste from the template alone.
    """

    def __init__(self) -> None:
        self.in_string = False
        self.escaped = False
        self.containers: list[str] = []
        self.last = ""

    def feed(self, text: str) -> None:
        """Advance over ``text``."""
        for char in text:
            if self.in_string:
                self._feed_string(char)
            elif not char.isspace():
                self._feed_structure(char)

    def at_key(self) -> bool:
        """Whether the next value would be an object key."""
        return bool(self.containers) and self.containers[-1] == "{" and self.last in ("{", ",")

    def _feed_string(self, char: str) -> None:
        if self.escaped:
            self.escaped = False
        elif char == "\\":
            self.escaped = True
        elif char == '"':
            self.in_string = False

    def _feed_structure(self, char: str) -> None:
        if char == '"':
            self.in_string = True
        elif char in "{[":
            self.containers.append(char)
        elif char in "}]" and self.containers:
            self.containers.pop()
        self.last = char
