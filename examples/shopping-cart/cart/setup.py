"""What the functions' worker does not create: the reminders queue, its dead-letter
queue, and the rule that sends CartReminder events to the queue. Made with boto3, as
one would on AWS; safe to run again."""

from __future__ import annotations

import json
from typing import Any

from cart.reminders import REMINDER_DETAIL_TYPE, REMINDER_SOURCE
from cart.settings import Settings, client

REMINDERS_QUEUE = "cart-reminders"
REMINDERS_DLQ = "cart-reminders-dlq"
REMINDER_RULE = "cart-reminders-to-queue"


def queue_arn(sqs: Any, url: str) -> str:
    found = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return str(found["Attributes"]["QueueArn"])


def set_up(settings: Settings) -> None:
    """Create (or update) the reminders queue, its dead-letter queue and its rule."""
    sqs, events = client("sqs", settings), client("events", settings)
    dlq_url = sqs.create_queue(QueueName=REMINDERS_DLQ)["QueueUrl"]
    policy = {
        "deadLetterTargetArn": queue_arn(sqs, dlq_url),
        "maxReceiveCount": settings.mail_max_receives,
    }
    attributes = {
        "VisibilityTimeout": str(settings.mail_visibility),
        "RedrivePolicy": json.dumps(policy),
    }
    url = sqs.create_queue(QueueName=REMINDERS_QUEUE)["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
    pattern = {"source": [REMINDER_SOURCE], "detail-type": [REMINDER_DETAIL_TYPE]}
    events.put_rule(Name=REMINDER_RULE, EventPattern=json.dumps(pattern))
    events.put_targets(
        Rule=REMINDER_RULE, Targets=[{"Id": "reminders-queue", "Arn": queue_arn(sqs, url)}]
    )


if __name__ == "__main__":
    set_up(Settings.from_env())
