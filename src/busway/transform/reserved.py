"""The placeholders EventBridge defines itself: ``<aws.events.*>``.

``aws.events.event`` is not simply the event minus ``detail``: AWS builds it with
``detail-type`` spelled ``detailType``, ``time`` set to the ingestion time, and its
own key order (observed on real AWS). ``aws.events.event.json`` is the whole event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

RULE_ARN = "aws.events.rule-arn"
RULE_NAME = "aws.events.rule-name"
INGESTION_TIME = "aws.events.event.ingestion-time"
EVENT = "aws.events.event"
EVENT_JSON = "aws.events.event.json"

RESERVED_NAMES = frozenset({RULE_ARN, RULE_NAME, INGESTION_TIME, EVENT, EVENT_JSON})

# (key in the event, key in aws.events.event), in the order AWS delivers them.
_EVENT_KEYS = (
    ("id", "id"),
    ("account", "account"),
    ("detail-type", "detailType"),
    ("time", "time"),
    ("source", "source"),
    ("region", "region"),
    ("resources", "resources"),
    ("version", "version"),
)


def reserved_values(
    event: Mapping[str, Any], *, rule_arn: str, rule_name: str, ingestion_time: str
) -> dict[str, Any]:
    """The value of every reserved placeholder for ``event``.

    An empty ``ingestion_time`` stands for the event's own ``time``.
    """
    received = ingestion_time or str(event.get("time", ""))
    return {
        RULE_ARN: rule_arn,
        RULE_NAME: rule_name,
        INGESTION_TIME: received,
        EVENT: event_without_detail(event, ingestion_time=received),
        EVENT_JSON: event,
    }


def event_without_detail(event: Mapping[str, Any], *, ingestion_time: str) -> dict[str, Any]:
    """``<aws.events.event>`` as AWS renders it; envelope fields the event lacks are left out."""
    shown = {name: event[key] for key, name in _EVENT_KEYS if key in event}
    if "time" in shown:
        shown["time"] = ingestion_time
    return shown
