"""Inspect and redrive the reminders' dead-letter queue, with boto3's ``sqs`` client:

    python -m cart.dlq show      # the reminders that could not be mailed
    python -m cart.dlq redrive   # move them back to the reminders queue

``redrive`` is SQS's dead-letter queue redrive (StartMessageMoveTask without a
destination: every message goes back to the queue it was dead-lettered from).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from cart.settings import Settings, client
from cart.setup import REMINDERS_DLQ, queue_arn


def peek(sqs: Any, url: str) -> list[dict[str, Any]]:
    """Up to ten dead letters, left in the queue (visibility timeout 0)."""
    answer = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, AttributeNames=["All"]
    )
    return list(answer.get("Messages", []))


def redrive(sqs: Any, url: str, *, timeout: float = 30.0) -> dict[str, Any]:
    """Start a message move task back to the source queue and wait for it to finish;
    answer the task as ListMessageMoveTasks describes it."""
    arn = queue_arn(sqs, url)
    sqs.start_message_move_task(SourceArn=arn)
    deadline = time.monotonic() + timeout
    while True:
        task: dict[str, Any] = sqs.list_message_move_tasks(SourceArn=arn)["Results"][0]
        if task["Status"] != "RUNNING" or time.monotonic() > deadline:
            return task
        time.sleep(0.2)


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else "show"
    sqs = client("sqs", Settings.from_env())
    url = sqs.get_queue_url(QueueName=REMINDERS_DLQ)["QueueUrl"]
    if command == "show":
        letters = peek(sqs, url)
        for message in letters:
            event = json.loads(message["Body"])
            print(f"{event['id']}  {event['detail-type']}  {json.dumps(event['detail'])}")
        if not letters:
            print(f"{REMINDERS_DLQ} is empty")
    elif command == "redrive":
        task = redrive(sqs, url)
        print(f"{task['Status']}: moved {task['ApproximateNumberOfMessagesMoved']} message(s)")
    else:
        sys.exit("usage: python -m cart.dlq [show|redrive]")


if __name__ == "__main__":
    main()
