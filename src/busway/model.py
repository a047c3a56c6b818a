"""Frozen value types that every layer passes around.

Names are snake_case; AWS's PascalCase lives only in ``busway.api.aws``. Times are aware
UTC datetimes. Target settings AWS defines but Busway does not act on are kept verbatim
in ``Target.spec`` so that ``ListTargetsByRule`` returns what was put.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import orjson

DEFAULT_BUS = "default"
DEFAULT_RETRY_ATTEMPTS = 185
DEFAULT_EVENT_AGE_SECONDS = 86_400


class RuleState(StrEnum):
    ENABLED = "ENABLED"
    DISABLED = "DISABLED"
    ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"


@dataclass(frozen=True, slots=True)
class Bus:
    name: str
    arn: str
    created: datetime
    modified: datetime
    description: str | None = None
    spec: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Rule:
    bus: str
    name: str
    arn: str
    state: RuleState = RuleState.ENABLED
    event_pattern: str | None = None
    schedule_expression: str | None = None
    description: str | None = None
    role_arn: str | None = None
    managed_by: str | None = None
    created_by: str | None = None

    @property
    def matches_events(self) -> bool:
        """Whether PutEvents can route to this rule at all."""
        return self.state != RuleState.DISABLED and self.event_pattern is not None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    maximum_retry_attempts: int = DEFAULT_RETRY_ATTEMPTS
    maximum_event_age_seconds: int = DEFAULT_EVENT_AGE_SECONDS


@dataclass(frozen=True, slots=True)
class Target:
    """One target of one rule. ``spec`` holds every setting, snake_case, as put."""

    bus: str
    rule: str
    id: str
    arn: str
    spec: Mapping[str, Any] = field(default_factory=dict)

    @property
    def retry_policy(self) -> RetryPolicy:
        given = self.spec.get("retry_policy") or {}
        return RetryPolicy(
            maximum_retry_attempts=given.get("maximum_retry_attempts", DEFAULT_RETRY_ATTEMPTS),
            maximum_event_age_seconds=given.get(
                "maximum_event_age_in_seconds", DEFAULT_EVENT_AGE_SECONDS
            ),
        )

    @property
    def dead_letter_arn(self) -> str | None:
        config = self.spec.get("dead_letter_config") or {}
        arn = config.get("arn")
        return str(arn) if arn else None

    def setting(self, name: str) -> Any:
        """A setting by its snake_case name, or None."""
        return self.spec.get(name)


@dataclass(frozen=True, slots=True)
class Event:
    """An accepted event, as targets receive it (eventbridge.md §1.1)."""

    id: str
    bus: str
    source: str
    detail_type: str
    time: datetime
    account: str
    region: str
    resources: tuple[str, ...]
    detail: str
    ingested_at: datetime
    replay_name: str | None = None
    trace_header: str | None = None

    def envelope(self) -> bytes:
        """The event JSON in AWS's key order; ``detail`` is spliced in as given."""
        head: dict[str, Any] = {
            "version": "0",
            "id": self.id,
            "detail-type": self.detail_type,
            "source": self.source,
            "account": self.account,
            "time": format_time(self.time),
            "region": self.region,
        }
        if self.replay_name is not None:
            head["replay-name"] = self.replay_name
        head["resources"] = list(self.resources)
        return orjson.dumps(head)[:-1] + b',"detail":' + self.detail.encode() + b"}"


def format_time(moment: datetime) -> str:
    """AWS's event time: UTC, second precision, ``Z`` suffix."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class Delivery:
    """One claimed (event, rule, target) to deliver.

    ``attempt`` counts tries including the one about to be made; ``body`` is the event
    JSON as accepted, ``accepted`` the ingestion time that the event-age limit counts from.
    """

    id: int
    event_id: str
    bus: str
    rule: str
    target_id: str
    attempt: int
    accepted: datetime
    body: bytes


class Outcome(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class SendResult:
    """What one attempt to send came to. Never raised: senders return it.

    ``error_code`` uses the codes AWS puts in a dead-letter message's ``ERROR_CODE``
    attribute (``TIMEOUT``, ``THROTTLING``, ``NO_RESOURCE``, ...).
    """

    outcome: Outcome
    status: int | None = None
    error_code: str | None = None
    error_message: str | None = None
    retry_after: float | None = None

    @classmethod
    def delivered(cls, status: int | None = None) -> SendResult:
        return cls(Outcome.DELIVERED, status=status)

    @classmethod
    def retry(
        cls, code: str, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> SendResult:
        return cls(Outcome.RETRY, status, code, message, retry_after)

    @classmethod
    def failed(cls, code: str, message: str, *, status: int | None = None) -> SendResult:
        return cls(Outcome.FAILED, status, code, message)
