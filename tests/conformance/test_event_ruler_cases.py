"""aws/event-ruler's own test data, run against the pattern engine.

The data lives outside the repository, in ``../shared/peer-data/event-ruler`` (see its README);
the module is skipped when that folder is absent. Ruler's correctness cases carry no expected
results; ours are in ``event_ruler_expected.json`` beside this file, worked out from
EventBridge's array-consistency rule: all fields of one branch that lie under the same array
of objects must be satisfied by the same element of that array.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from busway.errors import InvalidEventPatternError
from busway.patterns import Matcher, explain, matches, parse_pattern

# Aliased so pytest does not collect the API function as a test.
from busway.patterns import test_event_pattern as check_event_pattern

REPO = Path(__file__).resolve().parents[2]
RULER = REPO.parent / "shared/peer-data/event-ruler/src/test"
DATA = RULER / "data"
CORRECTNESS_CASES = RULER / "resources/correctness-cases.json"
EXPECTED = Path(__file__).with_name("event_ruler_expected.json")

if not RULER.is_dir():
    pytest.skip(f"event-ruler peer data not found at {RULER}", allow_module_level=True)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def read_data(name: str) -> Any:
    return read_json(DATA / name)


CASES: list[dict[str, Any]] = read_json(CORRECTNESS_CASES)
EXPECTATIONS: dict[str, bool] = read_json(EXPECTED)


# -- correctness-cases.json ------------------------------------------------------------------


def test_every_correctness_case_has_an_expectation() -> None:
    names = [case["name"] for case in CASES]
    assert len(names) == 51
    assert len(set(names)) == len(names)
    assert set(names) == set(EXPECTATIONS)
    assert all(isinstance(value, bool) for value in EXPECTATIONS.values())


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_correctness_case(case: dict[str, Any]) -> None:
    expected = EXPECTATIONS[case["name"]]
    pattern = parse_pattern(json.dumps(case["rule"]))
    assert matches(pattern, case["event"]) is expected
    assert Matcher({"rule": pattern}).match(case["event"]) == (["rule"] if expected else [])


def test_one_matcher_with_every_correctness_rule() -> None:
    patterns = {case["name"]: parse_pattern(json.dumps(case["rule"])) for case in CASES}
    matcher = Matcher(patterns)
    for case in CASES:
        expected = [name for name, pattern in patterns.items() if matches(pattern, case["event"])]
        assert matcher.match(case["event"]) == expected, case["name"]
        assert (case["name"] in expected) is EXPECTATIONS[case["name"]]


# -- arrayRule*.json / arrayEvent*.json ------------------------------------------------------


def array_matcher(*numbers: int) -> Matcher[str]:
    return Matcher(
        {f"rule{n}": parse_pattern(json.dumps(read_data(f"arrayRule{n}.json"))) for n in numbers}
    )


@pytest.mark.parametrize(
    ("event_file", "expected"),
    [
        ("arrayEvent1.json", ["rule1", "rule2"]),
        ("arrayEvent2.json", []),
        # metricName and namespace both occur, but in different elements of "metrics".
        ("arrayEvent3.json", []),
        ("arrayEvent4.json", ["rule3"]),
    ],
)
def test_nested_array_rules(event_file: str, expected: list[str]) -> None:
    matcher = array_matcher(1, 2, 3)
    event = read_data(event_file)
    assert matcher.match(event) == expected
    for n in (1, 2, 3):
        pattern = parse_pattern(json.dumps(read_data(f"arrayRule{n}.json")))
        assert matches(pattern, event) is (f"rule{n}" in expected)


@pytest.mark.parametrize(
    ("event_file", "expected"),
    [
        ("arrayEvent1.json", []),
        ("arrayEvent2.json", []),
        # rule4 allows AWS/EC2 with CPUUtilization, which the first element carries.
        ("arrayEvent3.json", ["rule4"]),
        ("arrayEvent4.json", ["rule3", "rule4"]),
    ],
)
def test_nested_array_rules_with_alternative_values(event_file: str, expected: list[str]) -> None:
    assert array_matcher(3, 4).match(read_data(event_file)) == expected


# -- $or rule files --------------------------------------------------------------------------

OR_RULES: list[dict[str, Any]] = read_data("orRelationshipRules.json")
OR_BRANCH_COUNTS = [2, 4, 3, 4, 2]  # Ruler's JsonRuleCompiler sub-rule counts for these rules

ALARM = {"state": {"value": "ALARM"}}
EC2_METRICS = {"metrics": [{"metricStat": {"metric": {"namespace": "AWS/EC2"}}}]}
OR_EVENTS: list[tuple[str, dict[str, Any], list[int]]] = [
    ("metric name only", {"metricName": "CPUUtilization"}, [0]),
    (
        "namespace and nested detail-type",
        {"namespace": "AWS/ES", "detail": {"detail-type": "CloudWatch Alarm State Change"}},
        [0, 1],
    ),
    (
        "metric name and nested source",
        {"metricName": "ReadLatency", "detail": {"source": "aws.cloudwatch"}},
        [0, 1],
    ),
    ("source and scope", {"source": "aws.cloudwatch", "scope": "Service"}, [2, 3]),
    (
        "type and namespace without the inner $or",
        {"source": "aws.cloudwatch", "metricType": "MetricType", "namespace": "AWS/EC2"},
        [0, 2],
    ),
    (
        "type and namespace with spaceId",
        {
            "source": "aws.cloudwatch",
            "metricType": "MetricType",
            "namespace": "AWS/EC2",
            "spaceId": 1000,
        },
        [0, 2, 3],
    ),
    (
        "type and namespace with metricId as a float",
        {
            "source": "aws.cloudwatch",
            "metricType": "MetricType",
            "namespace": "AWS/ES",
            "metricId": 1234.0,
        },
        [0, 2, 3],
    ),
    (
        "alarm with configuration",
        {"source": "aws.cloudwatch", "detail": ALARM, "withConfiguration": EC2_METRICS},
        [4],
    ),
    (
        "alarm without configuration",
        {
            "source": "aws.cloudwatch",
            "detail": ALARM,
            "withoutConfiguration": {"metric": {"name": "AWS/Default"}},
        },
        [4],
    ),
    (
        "no alarm",
        {
            "source": "aws.cloudwatch",
            "detail": {"state": {"value": "OK"}},
            "withConfiguration": EC2_METRICS,
        },
        [],
    ),
    ("source alone", {"source": "aws.cloudwatch"}, []),
]


def test_or_rules_expand_to_ruler_branch_counts() -> None:
    assert len(OR_RULES) == len(OR_BRANCH_COUNTS)
    for rule, count in zip(OR_RULES, OR_BRANCH_COUNTS, strict=True):
        explanation = explain(parse_pattern(json.dumps(rule)), {})
        assert explanation.matched is False
        assert len(explanation.branches) == count


@pytest.mark.parametrize(
    ("event", "expected"),
    [(event, expected) for _, event, expected in OR_EVENTS],
    ids=[name for name, _, _ in OR_EVENTS],
)
def test_or_rules_match(event: dict[str, Any], expected: list[int]) -> None:
    patterns = {i: parse_pattern(json.dumps(rule)) for i, rule in enumerate(OR_RULES)}
    assert Matcher(patterns).match(event) == expected
    assert [i for i, pattern in patterns.items() if matches(pattern, event)] == expected


RESERVED = "{} is Ruler reserved fieldName which cannot be used inside $or."
TOO_FEW = "There must have at least 2 Objects in $or relationship."
NOT_OBJECT = "Only JSON object is allowed in array of $or relationship."


@pytest.mark.parametrize(
    ("file", "index", "reason"),
    [
        # "$or" is an operator in EventBridge, never a plain field name, so Ruler's legacy
        # reading of these rules does not apply.
        ("normalRulesWithOrWording.json", 0, RESERVED.format("cidr")),
        ("normalRulesWithOrWording.json", 1, "It must be an Array followed with $or."),
        ("normalRulesWithOrWording.json", 2, RESERVED.format("numeric")),
        ("normalRulesWithOrWording.json", 3, RESERVED.format("numeric")),
        ("wrongOrRelationshipRules.json", 0, TOO_FEW),
        ("wrongOrRelationshipRules.json", 1, NOT_OBJECT),
    ],
)
def test_malformed_or_is_rejected(file: str, index: int, reason: str) -> None:
    rules = read_data(file)
    assert len(rules) == {"normalRulesWithOrWording.json": 4}.get(file, 2)
    with pytest.raises(InvalidEventPatternError) as caught:
        parse_pattern(json.dumps(rules[index]))
    assert caught.value.reason == reason
    assert str(caught.value) == f"Event pattern is not valid. Reason: {reason}"


# -- bigEvent.json ---------------------------------------------------------------------------


def test_big_event_matches_its_rule() -> None:
    # The first element of detail.requestParameters.changeBatch.changes has action "CREATE47"
    # and resourceRecordSet.type "A50", and hostedZoneId is "": the rule matches.
    rule_text = (DATA / "bigEventRule.json").read_text(encoding="utf-8")
    event_text = (DATA / "bigEvent.json").read_text(encoding="utf-8")
    event = json.loads(event_text)
    pattern = parse_pattern(rule_text)
    assert matches(pattern, event) is True
    assert Matcher({"big": pattern}).match(event) == ["big"]
    assert check_event_pattern(rule_text, event_text) is True
