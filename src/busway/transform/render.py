"""What a target receives: the event, ``Input``, ``InputPath`` or ``InputTransformer``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from busway.transform.jsonpath import MISSING, resolve_path
from busway.transform.reserved import RESERVED_NAMES, reserved_values
from busway.transform.target_input import NOTHING, InputTransformer, Rendered
from busway.transform.template import compact_json, placeholder_names, render_template


def render_input(
    event: Mapping[str, Any],
    *,
    input: str | None = None,
    input_path: str | None = None,
    transformer: InputTransformer | None = None,
    rule_arn: str = "",
    rule_name: str = "",
    ingestion_time: str = "",
) -> Rendered:
    """The body EventBridge delivers to a target for ``event``.

    With no input option, the whole event as compact JSON. ``input`` is delivered as
    given. ``input_path`` delivers the JSON value at that path (a string keeps its
    quotes), or nothing when the path leads nowhere. ``transformer`` renders its
    template (see ``busway.transform.template``); the rule and ``ingestion_time`` (an
    ISO-8601 text; empty means the event's ``time``) fill the reserved placeholders.
    At most one option is expected: ``validate_target_input`` enforces that when a
    target is saved.
    """
    if input is not None:
        return Rendered(input)
    if input_path is not None:
        return _render_path(event, input_path)
    if transformer is not None:
        values = reserved_values(
            event, rule_arn=rule_arn, rule_name=rule_name, ingestion_time=ingestion_time
        )
        return _render_transformer(event, transformer, values)
    return Rendered(compact_json(event))


def _render_path(event: Mapping[str, Any], path: str) -> Rendered:
    value = resolve_path(event, path)
    return NOTHING if value is MISSING else Rendered(compact_json(value))


def _render_transformer(
    event: Mapping[str, Any], transformer: InputTransformer, reserved: dict[str, Any]
) -> Rendered:
    values: dict[str, Any] = {}
    paths = transformer.input_paths_map
    for name in dict.fromkeys(placeholder_names(transformer.input_template)):
        # Reserved names win: AWS says they cannot be overwritten.
        if name in RESERVED_NAMES:
            values[name] = reserved[name]
        elif name in paths:
            values[name] = resolve_path(event, paths[name])
    return Rendered(render_template(transformer.input_template, values))
