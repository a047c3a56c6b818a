import json

from busway.patterns import Matcher, matches, parse_pattern
from busway.patterns.edges import Edges
from busway.patterns.kinds import ADDRESSES, LEAF, LENGTH_SHIFT, NUMBERS, SOLO


def compile_all(patterns: dict[str, object]) -> Matcher[str]:
    return Matcher({name: parse_pattern(json.dumps(p)) for name, p in patterns.items()})


EVENT = {
    "source": "shop",
    "detail-type": "OrderPlaced",
    "detail": {"total": 120, "region": "eu-west-1", "items": [{"sku": "a", "qty": 2}]},
}


def test_match_returns_keys_in_the_order_given_without_duplicates() -> None:
    matcher = compile_all(
        {
            "z": {"source": ["shop"]},
            "a": {"source": ["shop", {"prefix": "sh"}]},
            "m": {"source": ["other"]},
            "b": {"$or": [{"source": ["shop"]}, {"detail-type": ["OrderPlaced"]}]},
        }
    )
    assert matcher.match(EVENT) == ["z", "a", "b"]
    assert len(matcher) == 4


def test_rules_sharing_fields_do_not_leak_into_each_other() -> None:
    matcher = compile_all(
        {
            "eu-big": {"source": ["shop"], "detail": {"region": [{"prefix": "eu-"}],
                                                     "total": [{"numeric": [">", 100]}]}},
            "eu-small": {"source": ["shop"], "detail": {"region": [{"prefix": "eu-"}],
                                                       "total": [{"numeric": ["<", 100]}]}},
            "us-big": {"source": ["shop"], "detail": {"region": [{"prefix": "us-"}],
                                                     "total": [{"numeric": [">", 100]}]}},
        }
    )  # fmt: skip
    assert matcher.match(EVENT) == ["eu-big"]


def test_array_consistency_holds_across_rules() -> None:
    matcher = compile_all(
        {
            "same": {"detail": {"items": {"sku": ["a"], "qty": [2]}}},
            "split": {"detail": {"items": {"sku": ["a"], "qty": [3]}}},
        }
    )
    event = {"detail": {"items": [{"sku": "a", "qty": 2}, {"sku": "b", "qty": 3}]}}
    assert matcher.match(event) == ["same"]


def test_exists_false_is_judged_on_the_chosen_element() -> None:
    pattern = {"d": {"a": ["x"], "b": [{"exists": False}]}}
    matcher = compile_all({"p": pattern})
    assert matcher.match({"d": [{"a": "x", "b": 1}, {"a": "x"}]}) == ["p"]
    assert matcher.match({"d": [{"a": "x", "b": 1}]}) == []
    assert matcher.match({"d": {"a": "x", "b": None}}) == []
    assert matcher.match({"d": {"a": "x"}}) == ["p"]


def test_many_rules_agree_with_the_reference_evaluator() -> None:
    patterns = {
        f"r{i}": {
            "source": [f"src{i % 7}"],
            "detail": {"n": [{"numeric": [">", i % 50]}], "tag": [{"anything-but": f"t{i % 3}"}]},
        }
        for i in range(300)
    }
    matcher = compile_all(patterns)
    compiled = {name: parse_pattern(json.dumps(p)) for name, p in patterns.items()}
    for n in (0, 10, 49, 50):
        for tag in ("t0", "t1", "t9"):
            event = {"source": f"src{n % 7}", "detail": {"n": n, "tag": tag}}
            expected = [name for name, p in compiled.items() if matches(p, event)]
            assert matcher.match(event) == expected
            assert expected or n == 0


def test_an_empty_matcher_matches_nothing() -> None:
    assert Matcher({}).match(EVENT) == []


def test_a_plain_value_and_a_field_in_sibling_elements_are_not_one_element() -> None:
    pattern = {"b": [""], "b.c": [{"exists": False}]}
    matcher = compile_all({"p": pattern})
    event = {"b": [[{"c": "a"}], ""]}
    assert matcher.match(event) == ["p"]
    assert matches(parse_pattern(json.dumps(pattern)), event)
    assert compile_all({"q": {"b": [""], "b.c": ["a"]}}).match(event) == []


def test_operands_shared_by_rules_keep_their_own_kinds() -> None:
    # Equal operands of different rules are held once; values that compare equal
    # across JSON kinds (1, 1.0, true, "1") must still stay apart.
    patterns = {
        "one": {"a": [1]},
        "one-float": {"a": [1.0]},
        "true": {"a": [True]},
        "text": {"a": ["1"]},
        "text-prefix": {"a": [{"prefix": "1"}]},
        "range": {"a": [{"numeric": ["=", 1]}]},
        "absent": {"a": [{"exists": False}]},
        "present": {"a": [{"exists": True}]},
    }
    matcher = compile_all(patterns)
    assert matcher.match({"a": 1}) == ["one", "one-float", "range", "present"]
    assert matcher.match({"a": True}) == ["true", "present"]
    assert matcher.match({"a": "1"}) == ["text", "text-prefix", "present"]
    assert matcher.match({"b": 1}) == ["absent"]


def test_edges_with_one_key_leading_to_several_states() -> None:
    # One exact string that several rules follow with different next fields: the
    # step hands on all of them, each once.
    patterns = {f"r{i}": {"source": ["shop"], "detail": {f"f{i}": ["x"]}} for i in range(4)} | {
        "both": {"source": ["shop", {"prefix": "sh"}], "detail": {"f0": ["x"]}}
    }
    matcher = compile_all(patterns)
    event = {"source": "shop", "detail": {"f0": "x", "f2": "x"}}
    assert matcher.match(event) == ["r0", "r2", "both"]


def test_a_field_with_one_condition_is_judged_by_its_kind_alone() -> None:
    # A field with one non-exact condition is held in its edges without a Rest; each
    # kind must still refuse values of the wrong JSON type (a bool is not a number).
    single = {
        "prefix": {"a": [{"prefix": "ab"}]},
        "suffix": {"a": [{"suffix": "yz"}]},
        "range": {"a": [{"numeric": [">", 1, "<=", 5]}]},
        "wildcard": {"a": [{"wildcard": "a*z"}]},
        "not-x": {"a": [{"anything-but": "x"}]},
        "present": {"a": [{"exists": True}]},
        "folded": {"a": [{"equals-ignore-case": "AbZ"}]},
        "cidr": {"a": [{"cidr": "10.0.0.0/8"}]},
    }
    for name, pattern in single.items():
        matcher = compile_all({name: pattern})
        values = ("abz", "ABZ", "ayz", "x", "10.1.2.3", "11.0.0.1", "::1", 3, 5.0, 6, True, None)
        for value in (*values, [2, "zz"], {"b": 1}):
            event = {"a": value}
            expected = matches(parse_pattern(json.dumps(pattern)), event)
            assert (matcher.match(event) == [name]) == expected, (name, value)


def test_exact_strings_beside_one_other_condition_on_a_field() -> None:
    # Exact strings and one other condition on the same field are held together in
    # one Edges (no Rest); a value may meet both, one or neither.
    values = ("ab", "abc", "x", "ABZ", "10.1.2.3", "11.0.0.1", 3, 5.0, 6, True, None, [2, "abc"])
    for other in (
        {"prefix": "ab"},
        {"suffix": "bc"},
        {"numeric": [">", 1, "<=", 5]},
        {"wildcard": "a*c"},
        {"anything-but": "x"},
        {"exists": True},
        {"equals-ignore-case": "AbZ"},
        {"cidr": "10.0.0.0/8"},
    ):
        for exact in (["abc"], ["abc", "x"], ["abc", "x", "y", "z", "q", "r", "s", "t"]):
            patterns = {"exact": {"a": exact}, "other": {"a": [other]}, "both": {"a": exact}}
            matcher = compile_all(patterns)
            for value in values:
                event = {"a": value}
                expected = [
                    name
                    for name, pattern in patterns.items()
                    if matches(parse_pattern(json.dumps(pattern)), event)
                ]
                assert matcher.match(event) == expected, (other, exact, value)


def test_events_the_first_test_turns_away_are_answered_as_the_reference_does() -> None:
    anchored = {
        "shop": {"source": ["shop"], "detail": {"total": [{"numeric": [">", 100]}]}},
        "shop-or-bank": {"source": ["shop", "bank"]},
        "bank": {"source": ["bank"], "detail-type": ["Paid"]},
    }
    others = {
        "prefix": {"source": [{"prefix": "sh"}]},
        "no-source": {"source": [{"exists": False}]},
        "by-type": {"detail-type": ["Paid"]},
        "either": {"$or": [{"source": ["shop"]}, {"detail-type": ["Paid"]}]},
        "dotted": {"a.b": ["x"]},
    }
    events: list[dict[str, object]] = [
        {"source": "aws.ec2", "detail": {"total": 500}},
        {"detail-type": "Paid", "detail": {"total": 500}},
        {"source": 7, "detail-type": "Paid"},
        {"source": None},
        {"source": True},
        {"source": ["aws.s3", "bank"], "detail-type": "Paid"},
        {"source": {"name": "shop"}},
        {"source": "shop", "detail": {"total": 500}},
        {"source": "bank", "detail-type": "Paid", "a": {"b": "x"}},
        {"a.b": "x", "source": "sh"},
    ]
    cases = [(anchored, "source")] + [(anchored | {k: v}, None) for k, v in others.items()]
    for rules, gate in cases:
        matcher = compile_all(rules)
        assert matcher._gate == gate  # the one-lookup answer is in use exactly when it may be
        compiled = {name: parse_pattern(json.dumps(p)) for name, p in rules.items()}
        for event in events:
            expected = [name for name, p in compiled.items() if matches(p, event)]
            assert matcher.match(event) == expected, (rules, event)
    # A dotted first path is never answered from the top level's keys.
    dotted = compile_all({"p": {"a": {"b": ["x"]}}})
    assert dotted._gate is None
    assert dotted.match({"a.b": "x"}) == ["p"]


def _states(matcher: Matcher[str]) -> list[Edges]:
    """Every Edges of the compiled machine, each once."""
    found: dict[int, Edges] = {}
    stack = [matcher._root]
    while stack:
        edges = stack.pop()
        if id(edges) in found:
            continue
        found[id(edges)] = edges
        for item in (edges.only_found, edges.extra_found, edges.lookup, *edges.more):
            if isinstance(item, Edges):
                stack.append(item)
            elif isinstance(item, tuple):
                stack.extend(x for x in item if isinstance(x, Edges))
            elif isinstance(item, dict):
                for value in item.values():
                    stack.extend(value if isinstance(value, tuple) else [value])
    return [edges for edges in found.values() if isinstance(edges, Edges)]


def test_a_condition_that_ends_a_rule_accepts_it_without_reading_the_end_state() -> None:
    rules = {
        "big": {"source": ["shop"], "detail": {"total": [{"numeric": [">", 100]}]}},
        "eu": {"source": ["shop"], "detail": {"region": [{"prefix": "eu-"}]}},
        "not-eu": {"source": ["club"], "detail": {"region": [{"anything-but": {"prefix": "eu-"}}]}},
        "net": {"source": ["shop"], "detail": {"ip": [{"cidr": "10.0.0.0/8"}]}},
        "vip": {"source": ["shop"], "detail": {"vip": [{"exists": True}]}},
        "big-eu": {"source": ["bank"], "detail": {"total": [{"numeric": [">", 100]}],
                                                 "region": [{"prefix": "eu-"}]}},
        # The same condition goes on to a second test here: nothing to fold.
        "big-then-more": {"source": ["fund"], "detail": {"total": [{"numeric": [">", 100]}],
                                                        "region": ["x", "y"], "ip": ["1.2.3.4"]}},
    }  # fmt: skip
    matcher = compile_all(rules)
    folded = [edges for edges in _states(matcher) if edges.kinds & LEAF]
    names = list(rules)
    assert sorted(names[edges.meta >> LENGTH_SHIFT] for edges in folded) == sorted(
        ["big", "eu", "not-eu", "net", "vip", "big-eu"]
    )
    for edges in folded:  # each folded rule is the one its end state accepts
        assert edges.only_found.accept == edges.meta >> LENGTH_SHIFT
    compiled = {name: parse_pattern(json.dumps(p)) for name, p in rules.items()}
    for source in ("shop", "bank", "fund", "club"):
        for detail in (
            {"total": 500, "region": "eu-west-1", "ip": "10.1.2.3", "vip": False},
            {"total": 5, "region": "us-east-1", "ip": "11.1.2.3"},
            {"total": [5, 500], "region": ["us-east-1", "eu-west-1"], "ip": ["1.2.3.4"]},
            {"total": 101, "region": "x", "ip": "1.2.3.4"},
            {"total": "500", "region": None},
        ):
            event = {"source": source, "detail": detail}
            expected = [name for name, p in compiled.items() if matches(p, event)]
            assert matcher.match(event) == expected, event


def test_rules_testing_the_same_range_or_block_share_one_operand() -> None:
    matcher = compile_all(
        {
            f"{source}-{kind}": {"source": [source], "detail": {field: [condition]}}
            for source in ("a", "b", "c")
            for kind, field, condition in (
                ("range", "total", {"numeric": [">=", 10, "<", 20]}),
                ("block", "ip", {"cidr": "10.1.0.0/16"}),
                ("other-range", "size", {"numeric": [">=", 10, "<=", 20]}),
            )
        }
    )
    operands: dict[int, set[int]] = {}
    for edges in _states(matcher):
        if edges.kinds & SOLO:
            operands.setdefault(edges.kinds & (NUMBERS | ADDRESSES), set()).add(id(edges.lookup))
    # One copy of each range and block; the two ranges differ in one inclusive bound.
    assert len(operands[ADDRESSES]) == 1
    assert len(operands[NUMBERS]) == 2
    assert matcher.match({"source": "b", "detail": {"total": 15, "ip": "10.1.9.9"}}) == [
        "b-range",
        "b-block",
    ]
    assert matcher.match({"source": "c", "detail": {"size": 20, "total": 20}}) == ["c-other-range"]


def test_values_repeating_in_one_element_are_judged_as_the_reference_does() -> None:
    # Two values of one element meet the first field (``tags``), so the step into the
    # element repeats; the rule still counts once, and other elements stay apart.
    rules = {
        "tagged-x": {"items": {"tags": ["a", "b"], "sku": ["x"]}},
        "tagged-x-no-gift": {
            "items": {"tags": ["a", "b"], "sku": ["x"], "gift": [{"exists": False}]}
        },
        "big-x": {"items": {"qty": [{"numeric": [">", 1]}], "sku": [{"prefix": "x"}]}},
        "nested": {"orders": {"items": {"tags": ["a"], "sku": ["x"]}}},
    }
    events: list[dict[str, object]] = [
        {"items": [{"tags": ["a", "b"], "sku": "x"}]},
        {"items": [{"tags": ["a", "b"], "sku": "y"}, {"tags": ["c"], "sku": "x"}]},
        {"items": [{"tags": ["a", "a"], "sku": "x", "gift": True}, {"tags": ["b"], "sku": "x"}]},
        {"items": [{"qty": 2, "sku": "y"}, {"qty": 1, "sku": "x1"}, {"qty": [0, 5], "sku": "x2"}]},
        {"orders": [{"items": [{"tags": "a", "sku": "y"}]}, {"items": [{"tags": "b"}]}]},
        {"orders": [{"items": [{"tags": ["a", "a"], "sku": ["x", "x"]}]}]},
    ]
    matcher = compile_all(rules)
    compiled = {name: parse_pattern(json.dumps(p)) for name, p in rules.items()}
    for event in events:
        expected = [name for name, p in compiled.items() if matches(p, event)]
        assert matcher.match(event) == expected, event
