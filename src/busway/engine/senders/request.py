"""The HTTP request of an API destination invocation (eventbridge.md §6.2).

``build_invocation`` turns a destination, its connection, the target's
``http_parameters`` and the event into a ``Call``: ``*`` in the endpoint path filled
from ``path_parameter_values`` in order; the target's headers and query parameters
(values may be JSONPaths into the original event, ``$.detail.x``), then the
connection's invocation parameters, which win on conflict; the connection's body
parameters merged into a JSON-object body; AWS's fixed headers; BASIC and API_KEY
authorization. OAuth tokens are added by the sender, which owns the token cache.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final
from urllib.parse import quote, urlsplit, urlunsplit

import orjson
from yarl import URL

from busway.transform.jsonpath import MISSING, resolve_path

USER_AGENT: Final = "Amazon/EventBridge/ApiDestinations"
CONTENT_TYPE: Final = "application/json; charset=utf-8"
FORBIDDEN_METHODS: Final = frozenset({"CONNECT", "TRACE"})
_BODYLESS_METHODS: Final = frozenset({"GET", "HEAD"})
# RFC 3986 sub-delims and ':' '@' may stay; '/' may not, so a value fills one segment.
_SEGMENT_SAFE: Final = "!$&'()*+,;=:@"

Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Call:
    """An HTTP request to make: method, URL, headers in order, and body."""

    method: str
    url: URL
    headers: Pairs = ()
    content: bytes | None = None

    def with_header(self, name: str, value: str) -> Call:
        """This call with header ``name`` set to ``value``, replacing any of that name."""
        return replace(self, headers=merge_pairs(self.headers, [(name, value)]))


@dataclass(frozen=True, slots=True)
class Answer:
    """What a target answered: status, headers (lower-case names) and the body read."""

    status: int
    headers: Mapping[str, str]
    body: bytes


def build_invocation(
    *,
    destination: Mapping[str, Any],
    connection: Mapping[str, Any],
    http_parameters: Mapping[str, Any] | None,
    event: Mapping[str, Any],
    payload: bytes,
    max_response_bytes: int,
) -> Call:
    """The request for one invocation. Raises ``ValueError`` when it cannot be built."""
    method = str(destination.get("http_method") or "POST").upper()
    if method in FORBIDDEN_METHODS:
        raise ValueError(f"HTTP method {method} is not allowed for API destinations")
    target = http_parameters or {}
    invocation = invocation_parameters(connection)
    url = URL(fill_path(destination["invocation_endpoint"], target, event=event))
    query = merge_pairs(
        dynamic_pairs(target, "query_string_parameters", event=event),
        pairs(invocation.get("query_string_parameters")),
        fold_case=False,
    )
    headers = merge_pairs(
        fixed_headers(max_response_bytes),
        dynamic_pairs(target, "header_parameters", event=event),
        pairs(invocation.get("header_parameters")),
        auth_headers(connection),
    )
    body = None if method in _BODYLESS_METHODS else merge_body(payload, invocation)
    return Call(method, with_params(url, query), headers, body)


def with_params(url: URL, params: Pairs) -> URL:
    """``url`` with query ``params`` added; each replaces any parameter of its name."""
    return url.update_query(params) if params else url


def fixed_headers(max_response_bytes: int) -> Pairs:
    """The headers AWS puts on every API destination request."""
    return (
        ("User-Agent", USER_AGENT),
        ("Content-Type", CONTENT_TYPE),
        ("Range", f"bytes=0-{max_response_bytes - 1}"),
        ("Accept-Encoding", "gzip,deflate"),
    )


def invocation_parameters(connection: Mapping[str, Any]) -> Mapping[str, Any]:
    """The connection's ``invocation_http_parameters`` (kept under ``auth_parameters``
    as CreateConnection takes them, or at the top level)."""
    auth = connection.get("auth_parameters") or {}
    return (
        auth.get("invocation_http_parameters") or connection.get("invocation_http_parameters") or {}
    )


def auth_headers(connection: Mapping[str, Any]) -> Pairs:
    """The ``Authorization`` or API-key header of a BASIC or API_KEY connection."""
    kind = connection.get("authorization_type")
    auth = connection.get("auth_parameters") or {}
    if kind == "BASIC":
        basic = auth["basic_auth_parameters"]
        return (("Authorization", basic_authorization(basic["username"], basic["password"])),)
    if kind == "API_KEY":
        key = auth["api_key_auth_parameters"]
        return ((key["api_key_name"], key["api_key_value"]),)
    return ()


def basic_authorization(username: str, password: str) -> str:
    """An HTTP Basic ``Authorization`` value."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def fill_path(endpoint: str, target: Mapping[str, Any], *, event: Mapping[str, Any]) -> str:
    """``endpoint`` with each ``*`` of its path replaced, in order, by a path value."""
    values = [
        dynamic_value(v, event=event) or "" for v in target.get("path_parameter_values") or ()
    ]
    parts = urlsplit(endpoint)
    pieces = parts.path.split("*")
    path = pieces[0]
    for index, piece in enumerate(pieces[1:]):
        filler = quote(values[index], safe=_SEGMENT_SAFE) if index < len(values) else "*"
        path += filler + piece
    return urlunsplit(parts._replace(path=path))


def dynamic_pairs(target: Mapping[str, Any], name: str, *, event: Mapping[str, Any]) -> Pairs:
    """A target parameter map as pairs, JSONPath values resolved; missing ones left out."""
    given: Mapping[str, Any] = target.get(name) or {}
    resolved = ((key, dynamic_value(value, event=event)) for key, value in given.items())
    return tuple((key, value) for key, value in resolved if value is not None)


def dynamic_value(value: Any, *, event: Mapping[str, Any]) -> str | None:
    """A parameter value: literal text, or the event value at a ``$...`` JSONPath as
    text (strings as they are, anything else as JSON); None when the path finds nothing."""
    text = str(value)
    if not text.startswith("$"):
        return text
    found = resolve_path(event, text)
    if found is MISSING:
        return None
    return found if isinstance(found, str) else orjson.dumps(found).decode()


def pairs(parameters: Sequence[Mapping[str, Any]] | None) -> Pairs:
    """Connection parameters (``[{key, value, is_value_secret}]``) as pairs."""
    return tuple((str(p["key"]), str(p["value"])) for p in parameters or ())


def merge_pairs(*layers: Iterable[tuple[str, str]], fold_case: bool = True) -> Pairs:
    """Pairs of all layers; a later layer replaces earlier pairs of the same name
    (compared case-insensitively when ``fold_case``, as header names are), keeping the
    first one's position."""
    merged: dict[str, tuple[str, str]] = {}
    for layer in layers:
        for key, value in layer:
            slot = key.lower() if fold_case else key
            merged[slot] = (merged.get(slot, (key, value))[0], value)
    return tuple(merged.values())


def merge_body(payload: bytes, invocation: Mapping[str, Any]) -> bytes:
    """``payload`` with the connection's body parameters added when it is a JSON object."""
    extra = dict(pairs(invocation.get("body_parameters")))
    if not extra:
        return payload
    try:
        body = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return payload
    if not isinstance(body, dict):
        return payload
    return orjson.dumps({**body, **extra})
