"""Delivery to a built-in queue: SQS targets and dead-letter queues."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from busway.arn import Scope, parse_arn
from busway.errors import ValidationError
from busway.model import SendResult
from busway.storage.base import NewMessage, QueueStore


class QueueSender:
    """Enqueues a message on a queue named by its ARN in this Busway's scope."""

    def __init__(self, queues: QueueStore, *, scope: Scope) -> None:
        self._queues = queues
        self._scope = scope

    async def send(
        self,
        *,
        queue_arn: str,
        body: str,
        now: datetime,
        message_group_id: str | None = None,
        attributes: Mapping[str, str] | None = None,
    ) -> SendResult:
        """Store one message with String message ``attributes``; ``NO_RESOURCE`` when
        the queue does not exist (a dead-letter message carries RULE_ARN, TARGET_ARN,
        ERROR_CODE, ERROR_MESSAGE, EXHAUSTED_RETRY_CONDITION and RETRY_ATTEMPTS)."""
        name = self._queue_name(queue_arn)
        message = NewMessage(
            id=str(uuid.uuid4()),
            body=body,
            attributes={
                key: {"data_type": "String", "string_value": value}
                for key, value in (attributes or {}).items()
            },
            group_id=message_group_id,
        )
        if name is None or not await self._queues.send(name, [message], now=now):
            return SendResult.failed("NO_RESOURCE", f"Queue {queue_arn} does not exist.")
        return SendResult.delivered()

    def _queue_name(self, queue_arn: str) -> str | None:
        try:
            arn = parse_arn(queue_arn)
        except ValidationError:
            return None
        mine = (arn.service, arn.account, arn.region) == (
            "sqs",
            self._scope.account,
            self._scope.region,
        )
        return arn.resource if mine else None
