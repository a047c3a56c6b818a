"""LocalStack's AWS-validated TestEventPattern cases, run against the pattern engine.

The cases live outside the repository, in ``../shared/peer-data/localstack`` (see its README);
the module is skipped when that folder is absent. Each ``*.json5`` template holds an
``Event`` and an ``EventPattern``; the file-name suffix is the outcome recorded on real AWS:
no suffix = match, ``_NEG`` = no match, ``_EXC`` = ``InvalidEventPatternException`` whose
message is stored in the test module's snapshot file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import json5
import pytest

from busway.errors import InvalidEventPatternError
from busway.patterns import Matcher, matches, parse_pattern

# Aliased so pytest does not collect the API function as a test.
from busway.patterns import test_event_pattern as check_event_pattern

REPO = Path(__file__).resolve().parents[2]
EVENTS_DIR = REPO.parent / "shared/peer-data/localstack/tests/aws/services/events"
TEMPLATES = EVENTS_DIR / "event_pattern_templates"
SNAPSHOT = EVENTS_DIR / "test_events_patterns.snapshot.json"
SNAPSHOT_KEY = (
    "tests/aws/services/events/test_events_patterns.py::TestEventPattern::test_event_pattern[{}]"
)
TEMPLATE_COUNT = 155

if not TEMPLATES.is_dir():
    pytest.skip(f"LocalStack peer data not found at {TEMPLATES}", allow_module_level=True)


@dataclass(frozen=True)
class Case:
    stem: str
    pattern_text: str
    event: dict[str, Any]
    outcome: str  # "match", "no-match" or "error"

    @property
    def event_text(self) -> str:
        return json.dumps(self.event)


def outcome_of(stem: str) -> str:
    if stem.endswith("_EXC"):
        return "error"
    return "no-match" if stem.endswith("_NEG") else "match"


def load_template(path: Path) -> Case:
    data = json5.loads(path.read_text(encoding="utf-8"))
    return Case(path.stem, json.dumps(data["EventPattern"]), data["Event"], outcome_of(path.stem))


def load_duplicate_key_case() -> Case:
    # Read as raw text: a dict would keep only one of the two "location" keys.
    pattern_text = (TEMPLATES / "complex_multi_key_event_pattern.json").read_text(encoding="utf-8")
    event = json.loads((TEMPLATES / "complex_multi_key_event.json").read_text(encoding="utf-8"))
    return Case("complex_multi_key_event", pattern_text, event, "match")


def recorded_message(stem: str) -> str:
    snapshot = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    content = snapshot[SNAPSHOT_KEY.format(stem)]["recorded-content"][stem]
    message: str = content["exception_message"]["Error"]["Message"]
    return message


TEMPLATE_FILES = sorted(TEMPLATES.glob("*.json5"))
TEMPLATE_CASES = [load_template(path) for path in TEMPLATE_FILES]
ALL_CASES = [*TEMPLATE_CASES, load_duplicate_key_case()]
VALID_CASES = [case for case in ALL_CASES if case.outcome != "error"]
ERROR_CASES = [case for case in ALL_CASES if case.outcome == "error"]


def ids(cases: list[Case]) -> list[str]:
    return [case.stem for case in cases]


def test_every_template_is_loaded() -> None:
    outcomes = [case.outcome for case in TEMPLATE_CASES]
    assert len(TEMPLATE_CASES) == TEMPLATE_COUNT
    assert (outcomes.count("match"), outcomes.count("no-match"), outcomes.count("error")) == (
        66,
        51,
        38,
    )


@pytest.mark.parametrize("case", ERROR_CASES, ids=ids(ERROR_CASES))
def test_invalid_pattern_is_rejected_with_the_aws_message(case: Case) -> None:
    expected = recorded_message(case.stem)
    with pytest.raises(InvalidEventPatternError) as caught:
        check_event_pattern(case.pattern_text, case.event_text)
    assert str(caught.value) == expected
    with pytest.raises(InvalidEventPatternError) as caught_again:
        parse_pattern(case.pattern_text)
    assert str(caught_again.value) == expected


@pytest.mark.parametrize("case", VALID_CASES, ids=ids(VALID_CASES))
def test_pattern_gives_the_aws_result(case: Case) -> None:
    expected = case.outcome == "match"
    assert check_event_pattern(case.pattern_text, case.event_text) is expected


@pytest.mark.parametrize("case", VALID_CASES, ids=ids(VALID_CASES))
def test_reference_and_matcher_give_the_aws_result(case: Case) -> None:
    expected = case.outcome == "match"
    pattern = parse_pattern(case.pattern_text)
    assert matches(pattern, case.event) is expected
    assert Matcher({case.stem: pattern}).match(case.event) == ([case.stem] if expected else [])


def test_duplicate_pattern_key_keeps_the_last_occurrence() -> None:
    case = load_duplicate_key_case()
    assert case.pattern_text.count('"location"') == 2
    assert check_event_pattern(case.pattern_text, case.event_text) is True


def test_one_matcher_with_every_valid_pattern_agrees_with_the_reference() -> None:
    patterns = {case.stem: parse_pattern(case.pattern_text) for case in VALID_CASES}
    matcher = Matcher(patterns)
    assert len(matcher) == len(patterns)
    total_matches = 0
    for case in ALL_CASES:
        expected = [stem for stem, pattern in patterns.items() if matches(pattern, case.event)]
        assert matcher.match(case.event) == expected, case.stem
        total_matches += len(expected)
    # Each matching case's own pattern matches its own event, at the very least.
    assert total_matches >= sum(case.outcome == "match" for case in ALL_CASES)
