import pytest

from busway.errors import InvalidEventPatternError
from busway.patterns.wildcard import (
    MAX_COMPLEXITY,
    check_complexity,
    parse_wildcard,
    wildcard_complexity,
    wildcard_matches,
)


@pytest.mark.parametrize(
    ("wildcard", "value", "expected"),
    [
        ("h*llo", "hllo", True),
        ("h*llo", "hello", True),
        ("*", "", True),
        ("*hello", "hello", True),
        ("a*a", "a", False),
        ("a*a", "aa", True),
        ("/Users/*/doc.txt", "/Users/u/dir/dir/doc.txt", True),
        ("/Users/*/doc.txt", "/Users/u/notdoc.txt", False),
        ("", "", True),
        ("", "x", False),
        ("a*b*c", "abc", True),
        ("a*b*c", "acb", False),
        ("a*b*c", "aXbYbZc", True),
        ("ab*ba", "aba", False),
        (r"a\*b", "a*b", True),
        (r"a\*b", "axb", False),
        (r"a\\b", "a\\b", True),
        ("é*ü", "éxxü", True),
    ],
)
def test_star_matches_any_run_of_characters(wildcard: str, value: str, expected: bool) -> None:
    assert wildcard_matches(parse_wildcard(wildcard), value) is expected


@pytest.mark.parametrize(
    ("wildcard", "reason"),
    [
        ("arn:aws:events:us-east-1:**:event-bus/*", "Consecutive wildcard characters at pos 26"),
        ("**", "Consecutive wildcard characters at pos 1"),
        ("é**", "Consecutive wildcard characters at pos 3"),
        ("a\\b", "Invalid escape character at pos 2"),
        ("a\\", "Invalid escape character at pos 2"),
    ],
)
def test_syntax_errors_carry_the_byte_position_aws_reports(wildcard: str, reason: str) -> None:
    with pytest.raises(InvalidEventPatternError) as caught:
        parse_wildcard(wildcard)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    ("wildcard", "score"),
    [
        ("*", 1),
        ("abc", 1),
        ("*a*a*a*", 7),  # "aaa" matches all seven prefixes
        ("/Users/*/dir/dir/dir/dir/dir/doc.txt", 7),
        ("arn:aws:events:us-east-1:*:event-bus/*", 3),
        ("*:*:*:*:*:event-bus/*", 11),
    ],
)
def test_complexity_counts_prefixes_one_input_can_match(wildcard: str, score: int) -> None:
    assert wildcard_complexity(parse_wildcard(wildcard)) == score


def test_complexity_limit_separates_what_aws_accepts_from_what_it_rejects() -> None:
    accepted = ["/Users/*/dir/dir/dir/dir/dir/doc.txt", "arn:aws:events:us-east-1:*:event-bus/*"]
    for wildcard in accepted:
        check_complexity(wildcard_complexity(parse_wildcard(wildcard)))
    with pytest.raises(InvalidEventPatternError) as caught:
        check_complexity(wildcard_complexity(parse_wildcard("*:*:*:*:*:event-bus/*")))
    assert caught.value.reason.startswith("Rule is too complex")
    check_complexity(MAX_COMPLEXITY)
