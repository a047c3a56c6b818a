import pytest

from busway.errors import InvalidEventPatternError
from busway.patterns.jsontext import Members, load_pattern_json


def test_objects_keep_duplicate_keys_in_document_order() -> None:
    value = load_pattern_json('{"a": [1], "b": {"c": [2]}, "a": [3]}')
    assert isinstance(value, Members)
    assert [key for key, _ in value] == ["a", "b", "a"]


def test_content_after_the_first_value_is_ignored_as_aws_does() -> None:
    assert load_pattern_json('{"a": ["x"]} trailing') == [("a", ["x"])]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "this is not json",
            "Unrecognized token 'this': was expecting (JSON String, Number, Array, Object "
            "or token 'null', 'true' or 'false')",
        ),
        (
            '{"a": NaN}',
            "Unrecognized token 'NaN': was expecting (JSON String, Number, Array, Object "
            "or token 'null', 'true' or 'false')",
        ),
        (
            "{'a': ['b']}",
            "Unexpected character (''' (code 39)): was expecting double-quote to start field name",
        ),
        ('{"a": [1,}', "Unexpected character ('}' (code 125)): expected a value"),
        ('{"a": ["b"]', "Unexpected end-of-input: expected close marker for Object"),
        ("", "Filter is not an object"),
    ],
)
def test_syntax_errors_read_like_jacksons(text: str, reason: str) -> None:
    with pytest.raises(InvalidEventPatternError) as caught:
        load_pattern_json(text)
    assert caught.value.reason == reason
