from busway.patterns.keytree import PathReader


def test_nested_and_dotted_keys_both_yield_leaves() -> None:
    event = {
        "detail": {"state": {"status": "running"}, "state.status": "stopped"},
        "detail.state": {"status": "pending"},
    }
    values = sorted(value for value, _ in PathReader("detail.state.status").read(event))
    assert values == ["pending", "running", "stopped"]


def test_deep_paths_are_read_without_enumerating_spellings() -> None:
    path = ".".join(["a"] * 800)
    event: dict[str, object] = {"a": "leaf"}
    for _ in range(799):
        event = {"a": event}
    assert PathReader(path).read(event) == [("leaf", None)]


def test_objects_are_not_leaves_and_null_is() -> None:
    assert PathReader("a").read({"a": {"b": 1}}) == []
    assert PathReader("a").read({"a": None}) == [(None, None)]
    assert PathReader("a").read({}) == []
    assert PathReader("a").read({"a": []}) == []


def test_leaves_in_arrays_of_objects_remember_their_element() -> None:
    event = {"d": [{"a": 1, "b": 2}, {"a": 3}]}
    a_leaves = PathReader("d.a").read(event)
    b_leaves = PathReader("d.b").read(event)
    assert [value for value, _ in a_leaves] == [1, 3]
    first_a, second_a = (membership for _, membership in a_leaves)
    (only_b,) = (membership for _, membership in b_leaves)
    assert first_a == only_b
    assert second_a != only_b


def test_plain_arrays_do_not_record_indexes() -> None:
    assert PathReader("tags").read({"tags": ["x", ["y", "z"]]}) == [
        ("x", None),
        ("y", None),
        ("z", None),
    ]
