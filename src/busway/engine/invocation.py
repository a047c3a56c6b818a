"""What a schedule sends to a target that is not a bus.

Such a firing is stored as an event on the internal ``aws.scheduler`` log whose body
carries the target and the payload, so the delivery stands on its own even if the
schedule is deleted after its last occurrence (ActionAfterCompletion DELETE).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

import orjson

from busway.model import Delivery, Rule, Target

SCHEDULER_BUS = "aws.scheduler"
SCHEDULE_TARGET_ID = "target"


def invocation_body(*, schedule_arn: str, target: Mapping[str, Any], payload: str) -> bytes:
    return orjson.dumps({"schedule_arn": schedule_arn, "target": target, "payload": payload})


def schedule_invocation(delivery: Delivery) -> tuple[Rule, Target, dict[str, Any], str]:
    """The schedule (as the rule), its target and the payload a scheduler delivery carries."""
    body = orjson.loads(delivery.body)
    group_and_name = delivery.rule
    rule = Rule(bus=SCHEDULER_BUS, name=group_and_name.split("/", 1)[-1], arn=body["schedule_arn"])
    spec = {k: v for k, v in body["target"].items() if k != "input"}
    target = Target(SCHEDULER_BUS, group_and_name, SCHEDULE_TARGET_ID, spec["arn"], spec)
    return rule, target, {}, fill_attempt(str(body["payload"]), attempt=delivery.attempt)


def fill_attempt(text: str, *, attempt: int) -> str:
    """Scheduler's per-attempt context attributes: a fresh execution id, the attempt number."""
    if "<aws.scheduler." not in text:
        return text
    text = text.replace("<aws.scheduler.execution-id>", secrets.token_hex(8))
    return text.replace("<aws.scheduler.attempt-number>", str(attempt))
