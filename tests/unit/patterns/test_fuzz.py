"""Property tests: the compiled Matcher against the reference evaluator, and parser robustness.

Patterns and events are drawn from one small vocabulary of keys and values so that they meet:
most events are built from a pattern's own values (a "witness") and then bent into arrays,
split across array elements, pruned or altered, which is where array consistency,
``exists: false`` and ``anything-but`` get interesting.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

from busway.errors import InvalidEventPatternError
from busway.patterns import Matcher, Pattern, matches, parse_pattern

Json = Any
Draw = Callable[[st.SearchStrategy[Any]], Any]
Batch = tuple[list[dict[str, Json]], dict[str, Json]]

FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])

KEYS = ["a", "b", "c"]
DOTTED_KEYS = ["a.b", "b.c"]
STRINGS = [
    "", "a", "ab", "abc", "b", "ba", "A", "Ab", "ABC", "x", "a*", "a\\b",
    "10.0.0.1", "10.0.1.7", "192.168.0.1", "2001:db8::1", "2001:0db8:0000:0000:0000:0000:0000:0001",
]  # fmt: skip
NUMBERS = [0, 1, -1, 2, 10, 100, 1.5, -2.5, 10.0, 1e6]
WILDCARDS = ["*", "a*", "*b", "a*b", "*a*", "", "ab", "A*", "a\\*", "10.*.1", "*\\\\b"]
CIDRS = {
    "10.0.0.0/24": "10.0.0.1",
    "10.0.0.0/8": "10.0.1.7",
    "10.0.1.0/24": "10.0.1.7",
    "192.168.0.0/16": "192.168.0.1",
    "2001:db8::/32": "2001:db8::1",
}
OPERATOR_WORDS = [
    "prefix", "suffix", "equals-ignore-case", "anything-but", "numeric", "exists", "cidr",
    "wildcard", "$or", "exactly", "NUMERIC", "=", "<", ">=",
]  # fmt: skip
TOO_COMPLEX = "Rule is too complex"


# -- pattern generation ----------------------------------------------------------------------

strings = st.sampled_from(STRINGS)
nonempty_strings = st.sampled_from([s for s in STRINGS if s])
numbers = st.sampled_from(NUMBERS)
wildcards = st.sampled_from(WILDCARDS)


def one_or_list(values: st.SearchStrategy[Json]) -> st.SearchStrategy[Json]:
    return values | st.lists(values, min_size=1, max_size=3)


def keyed(name: str, values: st.SearchStrategy[Json]) -> st.SearchStrategy[dict[str, Json]]:
    return values.map(lambda value: {name: value})


anything_but_values = st.one_of(
    strings,
    numbers,
    st.lists(strings, min_size=1, max_size=3),
    st.lists(numbers, min_size=1, max_size=3),
    keyed("prefix", one_or_list(nonempty_strings)),
    keyed("suffix", one_or_list(nonempty_strings)),
    keyed("equals-ignore-case", one_or_list(strings)),
    keyed("wildcard", one_or_list(wildcards)),
)


@st.composite
def numeric_conditions(draw: Draw) -> list[Json]:
    low, high = sorted(draw(st.lists(numbers, min_size=2, max_size=2, unique=True)))
    if draw(st.booleans()):
        return [draw(st.sampled_from(["=", "<", "<=", ">", ">="])), low]
    return [draw(st.sampled_from([">", ">="])), low, draw(st.sampled_from(["<", "<="])), high]


plain_match_values = st.one_of(
    strings,
    numbers,
    st.booleans(),
    st.none(),
    keyed("prefix", strings),
    keyed("suffix", strings),
    keyed("equals-ignore-case", strings),
    keyed("prefix", keyed("equals-ignore-case", strings)),
    keyed("suffix", keyed("equals-ignore-case", strings)),
    keyed("numeric", numeric_conditions()),
    keyed("exists", st.just(True)),
    keyed("cidr", st.sampled_from(sorted(CIDRS))),
    keyed("wildcard", wildcards),
)
match_values = (
    plain_match_values
    | keyed("anything-but", anything_but_values)
    | keyed("exists", st.just(False))
)


@cache
def pattern_objects(depth: int, *, plain: bool = False) -> st.SearchStrategy[dict[str, Json]]:
    """A pattern (or a sub-object of one) nested at most ``2 - depth`` more levels.

    A ``plain`` pattern has one branch, no dotted keys and no negation (``anything-but``,
    ``exists: false``), so an event built from its values must match it.
    """
    leaves = st.lists(plain_match_values if plain else match_values, min_size=1, max_size=3)
    values = leaves if depth >= 2 else leaves | pattern_objects(depth + 1, plain=plain)
    keys = st.sampled_from(KEYS if plain else KEYS + DOTTED_KEYS)
    fields = st.dictionaries(keys, values, min_size=1, max_size=3)
    if depth >= 2 or plain:
        return fields
    ors = st.lists(pattern_objects(depth + 1), min_size=2, max_size=3)
    return st.tuples(fields, st.none() | st.none() | ors).map(
        lambda parts: parts[0] if parts[1] is None else {**parts[0], "$or": parts[1]}
    )


def parse_generated(pattern: dict[str, Json]) -> Pattern:
    try:
        return parse_pattern(json.dumps(pattern))
    except InvalidEventPatternError as error:
        # Too many wildcards in one pattern is legitimately refused; anything else is a bug.
        assume(not error.reason.startswith(TOO_COMPLEX))
        raise


# -- event generation ------------------------------------------------------------------------

MISSING = object()
scalars = st.one_of(strings, numbers, st.booleans(), st.none())
event_keys = st.sampled_from([*KEYS, *KEYS, "a.b"])
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(event_keys, inner, max_size=3),
    max_leaves=6,
)
random_objects = st.dictionaries(event_keys, json_values, max_size=4)


def fill_wildcard(draw: Draw, wildcard: str) -> str:
    out, escaped = [], False
    for char in wildcard:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "*":
            out.append(draw(strings))
        else:
            out.append(char)
    return "".join(out)


def numeric_witness(conditions: list[Json]) -> Json:
    op, value = conditions[0], conditions[1]
    if len(conditions) == 4:
        return (value + conditions[3]) / 2
    return {"=": value, "<": value - 1, "<=": value, ">": value + 1, ">=": value}[op]


def operator_witness(draw: Draw, name: str, arg: Json) -> Json:
    if name in ("prefix", "suffix") and isinstance(arg, dict):
        return operator_witness(draw, name, arg["equals-ignore-case"].swapcase())
    if name == "prefix":
        return arg + draw(strings)
    if name == "suffix":
        return draw(strings) + arg
    if name == "equals-ignore-case":
        return draw(st.sampled_from([arg, arg.swapcase(), arg.upper()]))
    if name == "numeric":
        return numeric_witness(arg)
    if name == "exists":
        return draw(st.none() | scalars) if arg else MISSING
    if name == "cidr":
        return CIDRS[arg]
    if name == "wildcard":
        return fill_wildcard(draw, arg)
    return draw(scalars)  # anything-but: most values are not excluded


def value_witness(draw: Draw, match_value: Json) -> Json:
    if isinstance(match_value, dict):
        [(name, arg)] = match_value.items()
        return operator_witness(draw, name, arg)
    if isinstance(match_value, int | float) and not isinstance(match_value, bool):
        return draw(st.sampled_from([match_value, float(match_value)]))
    return match_value


def child_object(draw: Draw, target: dict[str, Json], key: str) -> dict[str, Json]:
    segments = [key] if draw(st.booleans()) else key.split(".")
    for segment in segments:
        if not isinstance(target.get(segment), dict):
            target[segment] = {}
        target = target[segment]
    return target


def place(draw: Draw, target: dict[str, Json], key: str, value: Json) -> None:
    *parents, last = [key] if draw(st.booleans()) else key.split(".")
    for parent in parents:
        target = child_object(draw, target, parent)
    target[last] = value


def satisfy(draw: Draw, pattern: dict[str, Json], target: dict[str, Json]) -> None:
    """Write into ``target`` values chosen to satisfy one branch of ``pattern``."""
    for key, value in pattern.items():
        if key == "$or":
            satisfy(draw, draw(st.sampled_from(value)), target)
        elif isinstance(value, dict):
            satisfy(draw, value, child_object(draw, target, key))
        else:
            leaf = value_witness(draw, draw(st.sampled_from(value)))
            if leaf is not MISSING:
                place(draw, target, key, leaf)


def wrap(draw: Draw, value: Json) -> list[Json]:
    """``value`` as one element of an array, among random siblings."""
    extra = random_objects if isinstance(value, dict) else scalars
    items = [value, *draw(st.lists(extra, max_size=2))]
    return list(draw(st.permutations(items)))


def wrap_some(draw: Draw, value: Json) -> Json:
    """Wrap some values of a tree in arrays; a match stays a match (barring ``exists: false``)."""
    if isinstance(value, dict):
        value = {key: wrap_some(draw, inner) for key, inner in value.items()}
    return wrap(draw, value) if draw(st.integers(0, 3)) == 0 else value


def split(draw: Draw, value: dict[str, Json]) -> list[Json]:
    """The members of one object spread over two elements of an array."""
    keys = draw(st.permutations(list(value)))
    cut = draw(st.integers(1, len(keys) - 1))
    return [{k: value[k] for k in keys[:cut]}, {k: value[k] for k in keys[cut:]}]


def scatter(draw: Draw, value: dict[str, Json]) -> list[Json]:
    """One array element per member, keeping that member and spoiling the others."""
    elements = [
        {k: (v if k == kept else draw(scalars)) for k, v in value.items()} for kept in value
    ]
    return list(draw(st.permutations(elements)))


def edit(draw: Draw, value: Json) -> Json:
    choices = ["wrap", "drop", "replace", "null", "empty"]
    if isinstance(value, dict) and len(value) >= 2:
        choices += ["split", "split", "scatter", "scatter"]
    choice = draw(st.sampled_from(choices))
    if choice == "split":
        return split(draw, value)
    if choice == "scatter":
        return scatter(draw, value)
    actions: dict[str, Callable[[], Json]] = {
        "wrap": lambda: wrap(draw, value),
        "drop": lambda: MISSING,
        "replace": lambda: draw(json_values),
        "null": lambda: None,
        "empty": list,
    }
    return actions[choice]()


def member_paths(value: Json, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Paths to every member of every object in ``value`` that is reachable without arrays."""
    if not isinstance(value, dict):
        return []
    out = []
    for key, inner in value.items():
        out += [(*prefix, key), *member_paths(inner, (*prefix, key))]
    return out


def object_paths(value: Json) -> list[tuple[str, ...]]:
    """The member paths whose value is an object of two or more members."""
    return [path for path in member_paths(value) if _size_at(value, path) >= 2]


def _size_at(value: Json, path: tuple[str, ...]) -> int:
    for key in path:
        value = value[key]
    return len(value) if isinstance(value, dict) else 0


def edit_at(draw: Draw, event: dict[str, Json], path: tuple[str, ...]) -> dict[str, Json]:
    copy = dict(event)
    head, *rest = path
    if not rest:
        edited = edit(draw, copy[head])
    elif isinstance(copy.get(head), dict):
        edited = edit_at(draw, copy[head], tuple(rest))
    else:
        return copy
    if edited is MISSING:
        del copy[head]
    else:
        copy[head] = edited
    return copy


@st.composite
def witness_events(
    draw: Draw, patterns: list[dict[str, Json]], *, preserving: bool = False
) -> dict[str, Json]:
    """An event built to satisfy ``patterns`` (or some of them), then edited.

    With ``preserving`` the only edit is wrapping values in arrays among random elements,
    which keeps a match a match as long as the pattern has no ``exists: false``. Otherwise
    up to two members are edited: dropped, replaced, nulled, emptied, wrapped, or (for
    objects) split or scattered over array elements to probe array consistency.
    """
    chosen = patterns if preserving else draw(st.lists(st.sampled_from(patterns), min_size=1))
    target: dict[str, Json] = {}
    for pattern in chosen:
        satisfy(draw, pattern, target)
    if not preserving:
        for _ in range(draw(st.integers(0, 2))):
            target = edit_somewhere(draw, target)
    return {key: wrap_some(draw, value) for key, value in target.items()}


def edit_somewhere(draw: Draw, event: dict[str, Json]) -> dict[str, Json]:
    """Edit one member, preferring objects of two or more members (array-consistency bait)."""
    paths = member_paths(event)
    objects = object_paths(event)
    pool = objects if objects and draw(st.booleans()) else paths
    return edit_at(draw, event, draw(st.sampled_from(pool))) if pool else event


@st.composite
def spread_events(draw: Draw, pattern: dict[str, Json]) -> dict[str, Json]:
    """A witness of ``pattern`` with one of its objects split or scattered over an array."""
    target: dict[str, Json] = {}
    satisfy(draw, pattern, target)
    paths = object_paths(target)
    assume(paths)
    path = draw(st.sampled_from(paths))
    *parents, last = path
    node = target
    for key in parents:
        node = node[key]
    node[last] = draw(st.sampled_from([split, scatter]))(draw, node[last])
    return {key: wrap_some(draw, value) for key, value in target.items()}


@st.composite
def batches(draw: Draw) -> Batch:
    patterns = draw(st.lists(pattern_objects(0), min_size=1, max_size=5))
    built = witness_events(patterns)
    return patterns, draw(built | built | built | random_objects)


# -- properties ------------------------------------------------------------------------------


def reference_keys(patterns: dict[int, Pattern], event_: dict[str, Json]) -> list[int]:
    return [key for key, pattern in patterns.items() if matches(pattern, event_)]


@FUZZ
@given(batches())
def test_matcher_agrees_with_reference(batch: Batch) -> None:
    raw_patterns, event_ = batch
    patterns = {i: parse_generated(raw) for i, raw in enumerate(raw_patterns)}
    expected = reference_keys(patterns, event_)
    event(f"{len(expected)} of {len(patterns)} patterns match")
    assert Matcher(patterns).match(event_) == expected


@FUZZ
@given(st.data())
def test_matcher_agrees_on_objects_spread_over_arrays(data: st.DataObject) -> None:
    raw_patterns = data.draw(st.lists(pattern_objects(0), min_size=1, max_size=3))
    event_ = data.draw(spread_events(data.draw(st.sampled_from(raw_patterns))))
    patterns = {i: parse_generated(raw) for i, raw in enumerate(raw_patterns)}
    expected = reference_keys(patterns, event_)
    event(f"{len(expected)} of {len(patterns)} patterns match")
    assert Matcher(patterns).match(event_) == expected


def test_generated_batches_match_often_enough() -> None:
    """Guards the property above from going vacuous: matches and misses must both be common."""
    outcomes: list[tuple[int, int]] = []

    @settings(max_examples=200, deadline=None, database=None, derandomize=True)
    @given(batches())
    def collect(batch: Batch) -> None:
        raw_patterns, event_ = batch
        patterns = {i: parse_generated(raw) for i, raw in enumerate(raw_patterns)}
        outcomes.append((len(reference_keys(patterns, event_)), len(patterns)))

    collect()
    some_match = sum(1 for matched, _ in outcomes if matched) / len(outcomes)
    some_miss = sum(1 for matched, total in outcomes if matched < total) / len(outcomes)
    pair_share = sum(m for m, _ in outcomes) / sum(total for _, total in outcomes)
    assert some_match >= 0.3, some_match
    assert some_miss >= 0.3, some_miss
    assert pair_share >= 0.15, pair_share


@FUZZ
@given(st.data())
def test_witness_event_matches_its_pattern(data: st.DataObject) -> None:
    raw = data.draw(pattern_objects(0, plain=True))
    event_ = data.draw(witness_events([raw], preserving=True))
    pattern = parse_generated(raw)
    assert matches(pattern, event_), (raw, event_)
    assert Matcher({0: pattern}).match(event_) == [0]


# -- parser robustness -----------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.sampled_from(["", "a", "<", ">=", "=", "10.0.0.0/24", "10.0.0.1/33", "a**b", "a\\b", "*"]),
    st.text(max_size=4),
)
any_keys = st.sampled_from(KEYS + DOTTED_KEYS + OPERATOR_WORDS) | st.text(max_size=3)
any_json = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_keys, inner, max_size=3),
    max_leaves=12,
)
operator_objects = st.dictionaries(
    st.sampled_from(OPERATOR_WORDS), any_json, min_size=1, max_size=2
)
pattern_like = st.recursive(
    st.lists(json_scalars | operator_objects, max_size=3),
    lambda inner: st.dictionaries(any_keys, inner, min_size=1, max_size=3),
    max_leaves=8,
)


@st.composite
def corrupted_patterns(draw: Draw) -> str:
    text = json.dumps(draw(pattern_objects(0)))
    at = draw(st.integers(0, len(text)))
    cut = draw(st.integers(0, 3))
    noise: str = draw(st.text(max_size=2))
    return text[:at] + noise + text[at + cut :]


texts = st.one_of(
    any_json.map(json.dumps),
    pattern_like.map(json.dumps),
    corrupted_patterns(),
    st.text(max_size=40),
)


@FUZZ
@given(text=texts, event_=random_objects)
@example(text='{"a": [NaN]}', event_={})
@example(text='{"a": [1e400]}', event_={})
@example(text='{"a": [{"numeric": [">", 1e400]}]}', event_={})
def test_parse_pattern_raises_only_invalid_event_pattern(
    text: str, event_: dict[str, Json]
) -> None:
    check_parse_outcome(text, event_)


DEEP = 800  # object nesting that still fits AWS's 4096-character pattern limit


@pytest.mark.parametrize(
    "text",
    [
        '{"a":' * DEEP + '["x"]' + "}" * DEEP,
        "[" * 4096,
        "[" * 2048 + "]" * 2048,
        '{"a":' + "[" * 4000,
        '{"a":[' + "{" * 4000,
    ],
    ids=["deep-objects", "open-arrays", "closed-arrays", "arrays-in-leaf", "objects-in-leaf"],
)
def test_deeply_nested_text_is_handled(text: str) -> None:
    check_parse_outcome(text, {"a": "x"})


def check_parse_outcome(text: str, event_: dict[str, Json]) -> None:
    """``text`` parses to a usable pattern or raises InvalidEventPatternError, nothing else."""
    try:
        pattern = parse_pattern(text)
    except InvalidEventPatternError as error:
        assert error.reason
        assert str(error) == f"Event pattern is not valid. Reason: {error.reason}"
        return
    assert isinstance(pattern, Pattern)
    assert Matcher({0: pattern}).match(event_) == ([0] if matches(pattern, event_) else [])
