"""validate_target_input: what PutTargets rejects, with AWS's messages."""

import pytest

from busway.errors import (
    InvalidInputPathsMapError,
    InvalidPlaceholderError,
    TargetInputConflictError,
    ValidationError,
)
from busway.transform import InputTransformer, validate_target_input

TRANSFORMER = InputTransformer({"order": "$.detail.order"}, '{"o": <order>}')


@pytest.mark.parametrize(
    "options",
    [
        {"input": "{}", "input_path": "$.detail"},
        {"input": "{}", "transformer": TRANSFORMER},
        {"input_path": "$.detail", "transformer": TRANSFORMER},
        {"input": "", "input_path": "$", "transformer": TRANSFORMER},
    ],
)
def test_more_than_one_option_is_rejected(options: dict[str, object]) -> None:
    with pytest.raises(TargetInputConflictError) as caught:
        validate_target_input("billing-1", **options)
    assert str(caught.value) == (
        "Only one of Input, InputPath, or InputTransformer must be provided for target billing-1."
    )
    assert isinstance(caught.value, ValidationError)


@pytest.mark.parametrize(
    "options",
    [{}, {"input": "{}"}, {"input_path": "$.detail"}, {"transformer": TRANSFORMER}],
)
def test_one_option_or_none_is_fine(options: dict[str, object]) -> None:
    validate_target_input("t", **options)


def test_a_placeholder_that_is_not_a_variable_is_rejected() -> None:
    transformer = InputTransformer({"order": "$.o"}, '{"o": <order>, "x": "<notdefinedkey>"}')
    with pytest.raises(InvalidPlaceholderError) as caught:
        validate_target_input("billing-1", transformer=transformer)
    assert str(caught.value) == (
        "InputTemplate for target billing-1 contains invalid placeholder notdefinedkey."
    )
    assert caught.value.placeholder == "notdefinedkey"


def test_the_first_invalid_placeholder_is_named() -> None:
    transformer = InputTransformer({}, '"<second> <first>"')
    with pytest.raises(InvalidPlaceholderError, match=r"placeholder second\.$"):
        validate_target_input("t", transformer=transformer)


def test_reserved_placeholders_need_no_variable() -> None:
    template = (
        '{"a": <aws.events.rule-arn>, "b": <aws.events.rule-name>, '
        '"c": <aws.events.event.ingestion-time>, "d": <aws.events.event>, '
        '"e": <aws.events.event.json>}'
    )
    validate_target_input("t", transformer=InputTransformer({}, template))


def test_a_misspelt_reserved_placeholder_is_rejected() -> None:
    transformer = InputTransformer({}, '"<aws.events.rule_name>"')
    with pytest.raises(InvalidPlaceholderError, match=r"aws\.events\.rule_name"):
        validate_target_input("t", transformer=transformer)


@pytest.mark.parametrize(
    "key", ["", "has space", "dotted.name", "AWSthing", "aws.events.rule-arn", "x" * 257]
)
def test_input_paths_map_keys_follow_aws_rules(key: str) -> None:
    transformer = InputTransformer({key: "$.detail"}, '"text"')
    with pytest.raises(InvalidInputPathsMapError) as caught:
        validate_target_input("t", transformer=transformer)
    assert caught.value.target_id == "t"


@pytest.mark.parametrize("key", ["a", "order_id", "detail-type", "Aws", "awsKey", "x" * 256])
def test_input_paths_map_keys_that_aws_accepts(key: str) -> None:
    validate_target_input("t", transformer=InputTransformer({key: "$.detail"}, f"<{key}>"))


def test_at_most_100_variables() -> None:
    paths = {f"v{number}": "$.detail" for number in range(100)}
    validate_target_input("t", transformer=InputTransformer(paths, '"x"'))
    with pytest.raises(InvalidInputPathsMapError, match="more than 100"):
        validate_target_input("t", transformer=InputTransformer({**paths, "v100": "$"}, '"x"'))


def test_paths_are_not_validated() -> None:
    transformer = InputTransformer({"odd": "not a path"}, '"<odd>"')
    validate_target_input("t", transformer=transformer)
