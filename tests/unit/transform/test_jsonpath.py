import pytest

from busway.transform import MISSING, resolve_path

EVENT = {
    "detail-type": "Order Placed",
    "detail": {
        "order_id": "o-1",
        "lines": [{"sku": "a"}, {"sku": "b"}],
        "matrix": [[1, 2], [3, 4]],
        "path/with/slashes": "yes",
        "nothing": None,
    },
    "resources": ["arn:1", "arn:2"],
}


def test_dollar_is_the_whole_event() -> None:
    assert resolve_path(EVENT, "$") is EVENT


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("$.detail-type", "Order Placed"),
        ("$.detail.order_id", "o-1"),
        ("$.resources[0]", "arn:1"),
        ("$.resources[1]", "arn:2"),
        ("$.detail.lines[1].sku", "b"),
        ("$.detail.matrix[1][0]", 3),
        ("$.detail.path/with/slashes", "yes"),
        ("$['detail']['order_id']", "o-1"),
        ("$.detail.lines", [{"sku": "a"}, {"sku": "b"}]),
        ("$.detail.nothing", None),
    ],
)
def test_paths_in_the_subset_resolve(path: str, value: object) -> None:
    assert resolve_path(EVENT, path) == value


@pytest.mark.parametrize(
    "path",
    [
        "$.detail.absent",
        "$.resources[2]",
        "$.detail.order_id.deeper",
        "$.detail.lines.sku",
        "$.detail[0]",
        "$.resources.first",
    ],
)
def test_paths_that_lead_nowhere_are_missing(path: str) -> None:
    assert resolve_path(EVENT, path) is MISSING


@pytest.mark.parametrize(
    "path", ["", "detail", "$.", "$..detail", "$.detail.lines[*].sku", "$.resources[-1]", "$[x]"]
)
def test_paths_outside_the_subset_are_missing(path: str) -> None:
    assert resolve_path(EVENT, path) is MISSING


def test_a_null_value_is_not_missing() -> None:
    assert resolve_path(EVENT, "$.detail.nothing") is None
