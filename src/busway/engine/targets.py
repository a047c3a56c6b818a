"""What kind of thing a target ARN names, and sending a rendered payload to it."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import orjson

from busway.engine.directory import Directory
from busway.engine.ingest import Ingest
from busway.engine.senders.email import MAILTO, EmailSender
from busway.engine.senders.function import FunctionBroker
from busway.engine.senders.http import HttpSender
from busway.engine.senders.offload import RemoteHttpSender
from busway.engine.senders.queue import QueueSender
from busway.engine.senders.websocket import WebSocketSender, websocket_address
from busway.engine.topics import TopicFanout, topic_name_of
from busway.model import Delivery, SendResult, Target

_log = logging.getLogger("busway.targets.log")


class TargetKind(StrEnum):
    API_DESTINATION = "api-destination"
    EVENT_BUS = "event-bus"
    QUEUE = "queue"
    LOG = "log"
    WEBHOOK = "webhook"
    TOPIC = "topic"
    EMAIL = "email"
    WEBSOCKET = "websocket"
    FUNCTION = "function"


def target_kind(arn: str) -> TargetKind | None:
    """The kind of target ``arn`` names, or None when Busway cannot deliver to it."""
    if arn.startswith(("http://", "https://")):
        return TargetKind.WEBHOOK
    if arn.startswith(MAILTO):
        return TargetKind.EMAIL
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return None
    service, resource = parts[2], parts[5]
    if service == "sqs":
        return TargetKind.QUEUE
    if service == "sns" and resource and ":" not in resource:
        return TargetKind.TOPIC
    if service == "logs" and resource.startswith("log-group:"):
        return TargetKind.LOG
    if service == "events" and resource.startswith("event-bus/"):
        return TargetKind.EVENT_BUS
    if service == "events" and resource.startswith("api-destination/"):
        return TargetKind.API_DESTINATION
    if service == "execute-api" and websocket_address(arn) is not None:
        return TargetKind.WEBSOCKET
    if service == "lambda" and resource.startswith("function:") and resource[9:]:
        return TargetKind.FUNCTION
    return None


@dataclass
class Senders:
    """Every sender, chosen by target kind."""

    http: HttpSender | RemoteHttpSender
    queue: QueueSender
    ingest: Ingest
    directory: Directory
    webhook_secret: str | None = None
    email: EmailSender | None = None
    topics: TopicFanout | None = None
    websocket: WebSocketSender | None = None
    functions: FunctionBroker | None = None

    async def send(
        self,
        delivery: Delivery,
        *,
        target: Target,
        event: Mapping[str, Any] | None,
        payload: str,
        now: datetime,
    ) -> SendResult:
        """Send ``payload`` (rendered for ``target``) for ``delivery``. ``event`` None
        means the delivery's body, parsed only for the kinds that read the event."""
        kind = target_kind(target.arn)
        if kind is TargetKind.WEBHOOK:
            return await self._send_webhook(
                delivery, target=target, event=event, payload=payload, now=now
            )
        if kind is TargetKind.API_DESTINATION:
            event = orjson.loads(delivery.body) if event is None else event
            return await self._send_to_destination(target, event=event, payload=payload, now=now)
        if kind is TargetKind.QUEUE:
            group = (target.setting("sqs_parameters") or {}).get("message_group_id")
            return await self.queue.send(
                queue_arn=target.arn, body=payload, now=now, message_group_id=group
            )
        if kind is TargetKind.EVENT_BUS:
            return await self._forward(
                target, orjson.loads(delivery.body) if event is None else event
            )
        if kind is TargetKind.LOG:
            _log.info("%s %s", target.arn, payload)
            return SendResult.delivered()
        if kind is TargetKind.TOPIC and self.topics is not None:
            return await self._publish(delivery, target=target, payload=payload, now=now)
        if kind is TargetKind.EMAIL and self.email is not None:
            return await self._send_email(self.email, delivery, target=target, payload=payload)
        if kind is TargetKind.WEBSOCKET and self.websocket is not None:
            return self.websocket.send(delivery, target=target, event=event, payload=payload)
        if kind is TargetKind.FUNCTION and self.functions is not None:
            return await self.functions.send(delivery, arn=target.arn, payload=payload)
        return SendResult.failed("NO_RESOURCE", f"Busway cannot deliver to {target.arn}.")

    async def _send_webhook(
        self,
        delivery: Delivery,
        *,
        target: Target,
        event: Mapping[str, Any] | None,
        payload: str,
        now: datetime,
    ) -> SendResult:
        http_parameters = target.setting("http_parameters")
        if http_parameters and event is None:
            event = orjson.loads(delivery.body)  # the parameters' JSON paths read it
        return await self.http.send_webhook(
            url=target.arn,
            payload=payload.encode(),
            message_id=_message_id(delivery),
            secret=self.webhook_secret,
            now=now,
            http_parameters=http_parameters,
            event=event,
        )

    @staticmethod
    async def _send_email(
        email: EmailSender, delivery: Delivery, *, target: Target, payload: str
    ) -> SendResult:
        return await email.send(
            endpoint=target.arn,
            message=payload,
            topic=topic_name_of(str(target.setting("topic_arn") or "")),
            message_id=_message_id(delivery),
            subject=target.setting("subject"),
        )

    async def _send_to_destination(
        self, target: Target, *, event: Mapping[str, Any], payload: str, now: datetime
    ) -> SendResult:
        found = self.directory.destination(target.arn)
        if found is None:
            return SendResult.failed("NO_RESOURCE", f"API destination {target.arn} does not exist.")
        destination, connection = found
        return await self.http.send_to_destination(
            destination=destination,
            connection=connection,
            http_parameters=target.setting("http_parameters"),
            event=event,
            payload=payload.encode(),
            now=now,
        )

    async def _publish(
        self, delivery: Delivery, *, target: Target, payload: str, now: datetime
    ) -> SendResult:
        assert self.topics is not None
        topic = topic_name_of(target.arn)
        published = await self.topics.publish(
            topic, message=payload, message_id=delivery.event_id, now=now
        )
        if published is None:
            return SendResult.failed("NO_RESOURCE", f"Topic {topic} does not exist.")
        return SendResult.delivered()

    async def _forward(self, target: Target, event: Mapping[str, Any]) -> SendResult:
        bus = target.arn.split(":event-bus/", 1)[1]
        if await self.ingest.forward(dict(event), bus=bus):
            return SendResult.delivered()
        return SendResult.failed("NO_RESOURCE", f"Event bus {bus} does not exist.")


def _message_id(delivery: Delivery) -> str:
    """The id a message for ``delivery`` carries: the same on every attempt of it."""
    return f"{delivery.event_id}.{delivery.rule}.{delivery.target_id}"
