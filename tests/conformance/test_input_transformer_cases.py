"""InputTransformer cases observed on real AWS (SQS bodies), run against ``busway.transform``.

The cases live outside the repository, in ``../shared/peer-data/localstack/derived`` (see
the folder's README); the module is skipped when that folder is absent. Each case gives
the event's ``detail``, an ``InputPathsMap``, a template (as it appears in the pytest id,
so newlines are written ``\\n``) and the SQS body AWS delivered. The snapshot library
parsed bodies that are JSON objects and replaced timestamps with ``"date"``; the test
does the same to what Busway renders. Cases recorded with no body carry no evidence and
are left out; ``not_delivered_templates`` are templates AWS delivered nothing for.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from busway.patterns import matches, parse_pattern
from busway.transform import InputTransformer, render_input, validate_target_input

REPO = Path(__file__).resolve().parents[2]
CASES_FILE = REPO.parent / "shared/peer-data/localstack/derived/input_transformer_cases.json"
USABLE_CASES = 20
EVENT_TIME = "2024-12-13T18:03:12Z"
SOURCE = "core.update-account-command"

if not CASES_FILE.is_file():
    pytest.skip(f"LocalStack peer data not found at {CASES_FILE}", allow_module_level=True)

DATA: dict[str, Any] = json.loads(CASES_FILE.read_text(encoding="utf-8"))
CASES = [case for case in DATA["cases"] if case["expected_sqs_body_as_snapshotted"] is not None]
NESTED = next(case for case in DATA["cases"] if "nested_keys_replacement" in case["id"])


def event_with(detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": SOURCE,
        "source": SOURCE,
        "account": "111111111111",
        "time": EVENT_TIME,
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }


def template_of(case: dict[str, Any]) -> str:
    # pytest writes ids with unicode_escape; the templates are ASCII.
    text: str = case["InputTemplate_from_test_id"]
    return text.encode("ascii").decode("unicode_escape")


def transformer_of(case: dict[str, Any], template: str) -> InputTransformer:
    return InputTransformer(case["InputPathsMap"], template)


def expected_text(body: Any) -> str:
    return body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))


def test_every_usable_case_is_run() -> None:
    assert len(CASES) == USABLE_CASES


def test_the_events_match_the_rule_that_delivered_them() -> None:
    pattern = parse_pattern(json.dumps(DATA["rule_event_pattern"]))
    assert all(matches(pattern, event_with(case["event_detail"])) for case in DATA["cases"])


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_case_renders_the_body_aws_delivered(case: dict[str, Any]) -> None:
    transformer = transformer_of(case, template_of(case))
    validate_target_input("target", transformer=transformer)
    rendered = render_input(event_with(case["event_detail"]), transformer=transformer)
    assert rendered.text is not None
    (body,) = case["expected_sqs_body_as_snapshotted"]
    assert rendered.text.replace(EVENT_TIME, "date") == expected_text(body)


@pytest.mark.parametrize("template", DATA["not_delivered_templates"])
def test_template_aws_delivered_nothing_for_renders_nothing(template: str) -> None:
    transformer = transformer_of(NESTED, template)
    validate_target_input("target", transformer=transformer)
    rendered = render_input(event_with(NESTED["event_detail"]), transformer=transformer)
    assert not rendered.delivered
