"""Invocations: what a schedule sends to a target that is not a bus, and a topic's copy
of a message for one subscription.

Each is stored as an event on an internal bus (``aws.scheduler``, ``busway.topics``)
whose body carries the target and the payload, so the delivery stands on its own even
if the schedule or subscription is deleted before it is sent (ActionAfterCompletion
DELETE, an unsubscribe).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

import orjson

from busway.model import Delivery, Rule, Target

SCHEDULER_BUS = "aws.scheduler"
TOPICS_BUS = "busway.topics"
INVOCATION_BUSES = frozenset({SCHEDULER_BUS, TOPICS_BUS})
SCHEDULE_TARGET_ID = "target"


def invocation_body(*, origin_arn: str, target: Mapping[str, Any], payload: str) -> bytes:
    """The stored body of an invocation from ``origin_arn`` (a schedule, a subscription)."""
    return orjson.dumps({"origin_arn": origin_arn, "target": target, "payload": payload})


def invocation_of(delivery: Delivery) -> tuple[Rule, Target, dict[str, Any], str]:
    """The origin (as the rule), its target and the payload an invocation carries."""
    body = orjson.loads(delivery.body)
    bus, key = delivery.bus, delivery.rule
    # Bodies written before invocations had other origins than schedules name it so.
    origin = body.get("origin_arn") or body["schedule_arn"]
    rule = Rule(bus=bus, name=key.split("/", 1)[-1], arn=origin)
    spec = {k: v for k, v in body["target"].items() if k != "input"}
    target = Target(bus, key, SCHEDULE_TARGET_ID, spec["arn"], spec)
    payload = str(body["payload"])
    if bus == SCHEDULER_BUS:
        payload = fill_attempt(payload, attempt=delivery.attempt)
    return rule, target, {}, payload


def fill_attempt(text: str, *, attempt: int) -> str:
    """Scheduler's per-attempt context attributes: a fresh execution id, the attempt number."""
    if "<aws.scheduler." not in text:
        return text
    text = text.replace("<aws.scheduler.execution-id>", secrets.token_hex(8))
    return text.replace("<aws.scheduler.attempt-number>", str(attempt))
