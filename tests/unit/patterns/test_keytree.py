from busway.patterns.keytree import Leaves, build_key_tree, collect_leaves


def collect(event: dict[str, object], *paths: str) -> tuple[list[str], Leaves]:
    names = list(paths)
    return names, collect_leaves(event, build_key_tree(names), len(names))


def leaves(event: dict[str, object], *paths: str) -> dict[str, list[object]]:
    names, found = collect(event, *paths)
    by_name = {name: found.at(index)[0] for index, name in enumerate(names)}
    return {name: values for name, values in by_name.items() if values}


def values_and_members(found: Leaves, count: int) -> tuple[list[object], list[object]]:
    pairs = [found.at(path) for path in range(count)]
    return [values for values, _ in pairs], [members for _, members in pairs]


def test_nested_and_dotted_keys_both_yield_leaves() -> None:
    event = {
        "detail": {"state": {"status": "running"}, "state.status": "stopped"},
        "detail.state": {"status": "pending"},
    }
    found = leaves(event, "detail.state.status")
    assert sorted(found["detail.state.status"]) == ["pending", "running", "stopped"]  # type: ignore[type-var]


def test_only_named_paths_are_read() -> None:
    event = {"source": "s", "detail": {"a": 1, "b": {"c": 2}}, "other": 3}
    assert leaves(event, "source", "detail.b.c") == {"source": ["s"], "detail.b.c": [2]}


def test_a_path_can_be_both_a_leaf_and_a_prefix() -> None:
    assert leaves({"a": {"b": 1}}, "a", "a.b") == {"a.b": [1]}
    assert leaves({"a": 1}, "a", "a.b") == {"a": [1]}


def test_deep_paths_are_read() -> None:
    path = ".".join(["a"] * 300)
    event: dict[str, object] = {"a": "leaf"}
    for _ in range(299):
        event = {"a": event}
    assert leaves(event, path) == {path: ["leaf"]}


def test_objects_and_empty_arrays_are_not_leaves_but_null_is() -> None:
    assert leaves({"a": {"b": 1}}, "a") == {}
    assert leaves({"a": None}, "a") == {"a": [None]}
    assert leaves({"a": []}, "a") == {}


def test_leaves_in_arrays_of_objects_remember_their_element() -> None:
    _, found = collect({"d": [{"a": 1, "b": 2}, {"a": 3}]}, "d.a", "d.b")
    values, members = values_and_members(found, 2)
    assert values == [[1, 3], [2]]
    first_a, second_a = members[0]  # type: ignore[misc]
    (only_b,) = members[1]  # type: ignore[misc]
    assert first_a == only_b
    assert second_a != only_b


def test_plain_arrays_do_not_record_indexes() -> None:
    _, found = collect({"tags": ["x", "y"]}, "tags")
    assert values_and_members(found, 1) == ([["x", "y"]], [None])


def test_plain_values_in_arrays_that_also_hold_objects_keep_their_element() -> None:
    _, found = collect({"b": [{"c": "x"}, ""]}, "b", "b.c")
    _, members = values_and_members(found, 2)
    (value_membership,) = members[0]  # type: ignore[misc]
    (field_membership,) = members[1]  # type: ignore[misc]
    assert value_membership is not None and field_membership is not None
    assert value_membership != field_membership


def test_a_path_gains_a_parallel_membership_list_when_a_value_sits_in_an_element() -> None:
    _, found = collect({"a": {"b": 1}, "x": [{"a": {"b": 2}}]}, "a.b", "x.a.b")
    values, members = values_and_members(found, 2)
    assert values == [[1], [2]]
    assert [column is not None for column in members] == [False, True]
