from busway.patterns import explain, parse_pattern


def test_each_field_says_which_value_satisfied_it_or_why_none_did() -> None:
    pattern = parse_pattern(
        '{"source": ["shop"], "detail": {"state": [{"anything-but": "stopped"}], "n": [1]}}'
    )
    result = explain(pattern, {"source": "shop", "detail": {"state": "stopped"}})
    assert not result.matched
    (branch,) = result.branches
    by_path = {field.path: field for field in branch.fields}
    assert by_path["source"].satisfied and by_path["source"].value == '"shop"'
    assert not by_path["detail.state"].satisfied
    assert by_path["detail.state"].reason == 'event has "stopped"; none fits'
    assert by_path["detail.n"].reason == "no value at detail.n"
    assert by_path["detail.n"].condition == "[1]"


def test_or_branches_are_explained_one_by_one() -> None:
    pattern = parse_pattern('{"$or": [{"a": ["x"]}, {"b": [{"exists": false}]}]}')
    result = explain(pattern, {"a": "y"})
    assert result.matched
    assert [branch.matched for branch in result.branches] == [False, True]
    assert result.branches[1].fields[0].reason == "absent, as required"


def test_a_branch_failing_only_on_array_consistency_says_so() -> None:
    pattern = parse_pattern('{"e": {"first": ["Anna"], "last": ["Jones"]}}')
    event = {"e": [{"first": "Anna", "last": "Smith"}, {"first": "Peter", "last": "Jones"}]}
    (branch,) = explain(pattern, event).branches
    assert all(field.satisfied for field in branch.fields)
    assert not branch.matched
    assert "same array" in branch.note
