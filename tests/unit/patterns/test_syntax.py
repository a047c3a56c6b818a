import json

import pytest

from busway.errors import InvalidEventPatternError
from busway.patterns import operators as op
from busway.patterns import parse_pattern
from busway.patterns.syntax import MAX_BRANCHES


def paths(text: str) -> list[list[str]]:
    return [[field.path for field in branch] for branch in parse_pattern(text).branches]


def test_nested_objects_and_dotted_keys_give_the_same_path() -> None:
    assert paths('{"detail": {"state": {"status": ["x"]}}}') == [["detail.state.status"]]
    assert paths('{"detail": {"state.status": ["x"]}}') == [["detail.state.status"]]


def test_or_expands_into_branches_that_keep_their_siblings() -> None:
    text = '{"source": ["s"], "detail": {"$or": [{"a": [1]}, {"b": [2]}]}, "time": ["t"]}'
    assert paths(text) == [["source", "detail.a", "time"], ["source", "detail.b", "time"]]


def test_parallel_ors_multiply() -> None:
    text = json.dumps({"$or": [{"a": [1]}, {"b": [2]}], "c": {"$or": [{"d": [3]}, {"e": [4]}]}})
    assert sorted(paths(text)) == [["a", "c.d"], ["a", "c.e"], ["b", "c.d"], ["b", "c.e"]]


def test_nested_or_inside_an_or_branch() -> None:
    text = json.dumps({"$or": [{"a": [1]}, {"$or": [{"b": [2]}, {"c": [3]}]}]})
    assert paths(text) == [["a"], ["b"], ["c"]]


def test_the_last_duplicate_key_wins() -> None:
    pattern = parse_pattern('{"x": [{"prefix": "us-"}], "x": [{"anything-but": "us-east"}]}')
    (branch,) = pattern.branches
    assert branch[0].operators == (op.AnythingBut(frozenset({"us-east"})),)


def test_an_earlier_invalid_duplicate_is_still_reported() -> None:
    with pytest.raises(InvalidEventPatternError) as caught:
        parse_pattern('{"x": [], "x": ["ok"]}')
    assert caught.value.reason == "Empty arrays are not allowed"


def test_the_first_problem_in_document_order_is_reported() -> None:
    with pytest.raises(InvalidEventPatternError) as caught:
        parse_pattern('{"a": [{"prefix": 1}], "b": []}')
    assert caught.value.reason == "prefix match pattern must be a string"


def test_or_combinations_are_limited() -> None:
    ten_way = [{f"k{i}": [i]} for i in range(10)]
    parse_pattern(json.dumps({"a": {"$or": ten_way}, "b": {"$or": ten_way}, "c": {"$or": ten_way}}))
    with pytest.raises(InvalidEventPatternError) as caught:
        parse_pattern(json.dumps({f"x{n}": {"$or": ten_way} for n in range(4)}))
    assert str(MAX_BRANCHES) in caught.value.reason


def test_string_literals_that_spell_addresses_match_by_address() -> None:
    (branch,) = parse_pattern('{"ip": ["10.0.0.1", "hello"]}').branches
    ip_literal, text_literal = branch[0].operators
    assert isinstance(ip_literal, op.ExactIp)
    assert ip_literal.test("10.000.0.01")
    assert text_literal == op.Exact("hello")


def test_numbers_are_doubles_and_booleans_stay_literals() -> None:
    (branch,) = parse_pattern('{"n": [300, true, null]}').branches
    assert branch[0].operators == (
        op.ExactNumber(300.0),
        op.ExactLiteral(True),
        op.ExactLiteral(None),
    )
    assert not branch[0].operators[0].test(True)


def test_pattern_text_is_kept_as_given() -> None:
    text = '{ "source" : [ "a" ] }'
    assert parse_pattern(text).text == text
    assert parse_pattern(text) == parse_pattern(text)
