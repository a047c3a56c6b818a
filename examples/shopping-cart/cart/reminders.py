"""The cart reminder: a one-time EventBridge Scheduler schedule that puts a
``CartReminder`` event on the bus a day after an item was added.

The ``create_schedule`` call is the one EventBridge Scheduler's documentation shows for
a one-time schedule with an EventBridge (event bus) target, run unchanged against
Busway: only the client's ``endpoint_url`` differs.
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from cart.settings import Settings, client

REMINDER_SOURCE = "cart.reminders"
REMINDER_DETAIL_TYPE = "CartReminder"
# Busway checks no IAM roles, but Scheduler's API requires one: any role ARN will do.
ROLE_ARN = "arn:aws:iam::000000000000:role/cart-scheduler"


def at_expression(when: datetime) -> str:
    """Scheduler's one-time expression, ``at(yyyy-mm-ddThh:mm:ss)``, in UTC."""
    return f"at({when.astimezone(UTC):%Y-%m-%dT%H:%M:%S})"


def reminder_time(now: datetime, delay_seconds: int) -> datetime:
    """When to remind: ``delay_seconds`` after ``now``, on the next whole second (an
    ``at()`` expression has no fractions)."""
    due = now + timedelta(seconds=delay_seconds)
    return due.replace(microsecond=0) + timedelta(seconds=1 if due.microsecond else 0)


def schedule_reminder(settings: Settings, item: dict[str, Any], *, event_id: str) -> str:
    """Create the reminder's schedule, named after the ItemAdded event so that a retry
    of the same event finds it already made; answer the schedule's name."""
    scheduler = client("scheduler", settings)
    events = client("events", settings)
    bus_arn = events.describe_event_bus(Name="default")["Arn"]
    name = f"cart-reminder-{event_id}"
    due = reminder_time(datetime.now(UTC), settings.reminder_delay)
    # A schedule of that name was made by an earlier try of this same event.
    with contextlib.suppress(scheduler.exceptions.ConflictException):
        scheduler.create_schedule(
            Name=name,
            ScheduleExpression=at_expression(due),
            ScheduleExpressionTimezone="UTC",
            FlexibleTimeWindow={"Mode": "OFF"},
            ActionAfterCompletion="DELETE",
            Target={
                "Arn": bus_arn,
                "RoleArn": ROLE_ARN,
                "EventBridgeParameters": {
                    "DetailType": REMINDER_DETAIL_TYPE,
                    "Source": REMINDER_SOURCE,
                },
                "Input": json.dumps(
                    {
                        "cartId": item["cartId"],
                        "email": item["email"],
                        "sku": item["sku"],
                        "itemEventId": event_id,
                    }
                ),
            },
        )
    return name
