"""render_input: the whole event, Input, InputPath, and the reserved placeholders."""

import json
from types import MappingProxyType
from typing import Any

import pytest

from busway import transform
from busway.transform import NOTHING, InputTransformer, Rendered, render_input

EVENT: dict[str, Any] = {
    "version": "0",
    "id": "7bf73129-1428-4cd3-a780-95db273d1602",
    "detail-type": "Order Placed",
    "source": "shop.orders",
    "account": "123456789012",
    "time": "2026-11-22T10:00:00Z",
    "region": "eu-west-1",
    "resources": ["arn:aws:shop:eu-west-1:123456789012:order/o-17"],
    "detail": {"order": "o-17", "lines": [{"sku": "a", "qty": 2}], "note": "né"},
}
RULE_ARN = "arn:aws:events:eu-west-1:123456789012:rule/orders/route"
INGESTED = "2026-11-22T10:00:03Z"


def transformed(template: str, paths: dict[str, str] | None = None) -> Rendered:
    return render_input(
        EVENT,
        transformer=InputTransformer(paths or {}, template),
        rule_arn=RULE_ARN,
        rule_name="route",
        ingestion_time=INGESTED,
    )


def test_with_no_option_the_whole_event_is_compact_json_in_key_order() -> None:
    rendered = render_input(EVENT)
    assert rendered.text == json.dumps(EVENT, separators=(",", ":"), ensure_ascii=False)
    assert rendered.delivered


def test_read_only_mappings_render_too() -> None:
    frozen = MappingProxyType({**EVENT, "detail": MappingProxyType(EVENT["detail"])})
    assert render_input(frozen).text == render_input(EVENT).text


def test_input_is_delivered_exactly_as_given() -> None:
    constant = '{ "static" : [1, 2] }'
    assert render_input(EVENT, input=constant).text == constant


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("$", None),
        ("$.detail", '{"order":"o-17","lines":[{"sku":"a","qty":2}],"note":"né"}'),
        ("$.detail.order", '"o-17"'),
        ("$.detail.lines[0].qty", "2"),
        ("$.resources", '["arn:aws:shop:eu-west-1:123456789012:order/o-17"]'),
    ],
)
def test_input_path_delivers_the_json_value_at_the_path(path: str, body: str | None) -> None:
    expected = render_input(EVENT).text if body is None else body
    assert render_input(EVENT, input_path=path).text == expected


def test_input_path_that_leads_nowhere_delivers_nothing() -> None:
    rendered = render_input(EVENT, input_path="$.detail.absent")
    assert rendered == NOTHING
    assert not rendered.delivered


def test_rule_and_ingestion_time_in_a_string_template() -> None:
    template = (
        '"<aws.events.rule-name> (<aws.events.rule-arn>) at <aws.events.event.ingestion-time>"'
    )
    assert transformed(template).text == f'"route ({RULE_ARN}) at {INGESTED}"'


def test_rule_and_ingestion_time_are_json_strings_in_a_json_template() -> None:
    template = (
        '{"arn": <aws.events.rule-arn>, "name": "rule <aws.events.rule-name>", '
        '"at": <aws.events.event.ingestion-time>}'
    )
    body = f'{{"arn":"{RULE_ARN}","name":"rule route","at":"{INGESTED}"}}'
    assert transformed(template).text == body


def test_event_is_the_envelope_without_detail_as_aws_shapes_it() -> None:
    rendered = transformed('{"event": <aws.events.event>}')
    assert rendered.text is not None
    shown = json.loads(rendered.text)["event"]
    assert list(shown.items()) == [
        ("id", EVENT["id"]),
        ("account", EVENT["account"]),
        ("detailType", "Order Placed"),
        ("time", INGESTED),
        ("source", "shop.orders"),
        ("region", "eu-west-1"),
        ("resources", EVENT["resources"]),
        ("version", "0"),
    ]


def test_event_json_is_the_whole_event() -> None:
    rendered = transformed('{"rule": <aws.events.rule-name>, "original": <aws.events.event.json>}')
    assert rendered.text == '{"rule":"route","original":' + str(render_input(EVENT).text) + "}"


def test_event_placeholders_inside_quotes_are_not_delivered() -> None:
    assert not transformed('{"event": "<aws.events.event>"}').delivered
    assert not transformed('{"event": "<aws.events.event.json>"}').delivered


def test_without_an_ingestion_time_the_event_time_stands_in() -> None:
    template = '"<aws.events.event.ingestion-time>"'
    rendered = render_input(EVENT, transformer=InputTransformer({}, template))
    assert rendered.text == f'"{EVENT["time"]}"'


def test_reserved_names_cannot_be_overwritten_by_variables() -> None:
    paths = {"aws.events.rule-name": "$.detail.order"}
    assert transformed('"<aws.events.rule-name>"', paths).text == '"route"'


def test_variables_and_reserved_names_mix() -> None:
    rendered = transformed(
        '{"order": <order>, "by": <aws.events.rule-name>}', {"order": "$.detail.order"}
    )
    assert rendered.text == '{"order":"o-17","by":"route"}'


def test_every_exported_name_exists() -> None:
    assert all(hasattr(transform, name) for name in transform.__all__)
