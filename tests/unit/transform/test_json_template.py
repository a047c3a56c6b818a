"""JSON templates (text starting with ``{``): values pasted unescaped, result minified."""

from typing import Any

import pytest

from busway.transform import InputTransformer, render_input

EVENT: dict[str, Any] = {
    "version": "0",
    "id": "7bf73129-1428-4cd3-a780-95db273d1602",
    "detail-type": "Order Placed",
    "source": "shop.orders",
    "account": "123456789012",
    "time": "2026-11-22T10:00:00Z",
    "region": "eu-west-1",
    "resources": [],
    "detail": {
        "order": "o-17",
        "total": 41.5,
        "count": 3,
        "paid": True,
        "refunded": False,
        "coupon": None,
        "customer": {"name": "Ada", "tier": "gold"},
        "tags": ["new", "eu"],
        "one": ["solo"],
        "quote": 'say "hi"',
    },
}

PATHS = {
    "order": "$.detail.order",
    "total": "$.detail.total",
    "count": "$.detail.count",
    "paid": "$.detail.paid",
    "refunded": "$.detail.refunded",
    "coupon": "$.detail.coupon",
    "customer": "$.detail.customer",
    "tags": "$.detail.tags",
    "one": "$.detail.one",
    "quote": "$.detail.quote",
    "absent": "$.detail.absent",
}


def render(template: str) -> str | None:
    return render_input(EVENT, transformer=InputTransformer(PATHS, template)).text


@pytest.mark.parametrize(
    ("template", "body"),
    [
        ('{"order": <order>}', '{"order":"o-17"}'),
        ('{"total": <total>, "count": <count>}', '{"total":41.5,"count":3}'),
        ('{"paid": <paid>, "refunded": <refunded>}', '{"paid":true,"refunded":false}'),
        ('{"coupon": <coupon>}', '{"coupon":null}'),
        ('{"customer": <customer>}', '{"customer":{"name":"Ada","tier":"gold"}}'),
        ('{"tags": <tags>, "one": <one>}', '{"tags":["new","eu"],"one":["solo"]}'),
        ('{"absent": <absent>}', '{"absent":""}'),
    ],
)
def test_unquoted_placeholders_become_json_values(template: str, body: str) -> None:
    assert render(template) == body


@pytest.mark.parametrize(
    ("template", "body"),
    [
        ('{"path": "orders/<order>/lines"}', '{"path":"orders/o-17/lines"}'),
        ('{"text": "<total> for <count>"}', '{"text":"41.5 for 3"}'),
        ('{"text": "paid=<paid>"}', '{"text":"paid=true"}'),
        ('{"text": "[<absent>]"}', '{"text":"[]"}'),
        ('{"text": "<coupon>"}', '{"text":"null"}'),
        ('{"<order>": 1}', '{"o-17":1}'),
    ],
)
def test_quoted_placeholders_are_pasted_into_the_string(template: str, body: str) -> None:
    assert render(template) == body


def test_placeholders_work_inside_arrays_and_nested_objects() -> None:
    template = '{"list": [9, <order>, true], "a": {"b": {"c": "x/<order>"}}}'
    assert render(template) == '{"list":[9,"o-17",true],"a":{"b":{"c":"x/o-17"}}}'


def test_a_placeholder_used_several_times_is_replaced_everywhere() -> None:
    template = '{"a": <order>, "b": "<order>/<order>", "c": [<order>]}'
    assert render(template) == '{"a":"o-17","b":"o-17/o-17","c":["o-17"]}'


def test_the_result_is_minified_with_template_key_order() -> None:
    template = '{\n  "z": 1,\n  "a" :  [ 1 , 2 ],\n  "m": "keep  inner  spaces"\n}'
    assert render(template) == '{"z":1,"a":[1,2],"m":"keep  inner  spaces"}'


def test_leading_whitespace_still_makes_a_json_template() -> None:
    assert render('  {"order": <order>}') == '{"order":"o-17"}'


def test_escaped_quotes_in_the_template_keep_the_string_open() -> None:
    template = '{"status": "order \\"<order>\\" placed", "n": <count>}'
    assert render(template) == '{"status":"order \\"o-17\\" placed","n":3}'


@pytest.mark.parametrize(
    "template",
    [
        '{"customer": "<customer>"}',
        '{"customer": "for <customer> only"}',
        '{"tags": "<tags>"}',
        '{"one": "<one>"}',
        '{"bad": "x/<customer>", "good": <customer>}',
    ],
)
def test_an_object_or_array_inside_quotes_is_not_delivered(template: str) -> None:
    assert render(template) is None


def test_values_are_not_escaped_so_a_quote_in_a_value_breaks_delivery() -> None:
    assert render('{"q": <quote>}') is None
    assert render('{"q": "<quote>"}') is None


def test_a_placeholder_used_as_an_object_key_is_not_delivered() -> None:
    assert render("{<order>: 1}") is None
    assert render('{"a": 1, <order>: 2}') is None


def test_a_template_that_is_not_valid_json_is_not_delivered() -> None:
    assert render('{"order": <order>') is None
    assert render('{"order": <order>} trailing') is None


def test_angle_brackets_that_name_no_variable_are_text() -> None:
    assert render('{"html": "<b>bold</b>", "o": <order>}') == '{"html":"<b>bold</b>","o":"o-17"}'
