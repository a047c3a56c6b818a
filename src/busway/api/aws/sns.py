"""The ``sns`` service over AWS's query protocol (form-encoded requests on ``POST /``,
XML answers), for the topic operations boto3's ``sns`` client calls most:
CreateTopic, ListTopics, GetTopicAttributes, DeleteTopic, Subscribe, Unsubscribe,
ListSubscriptionsByTopic and Publish.

Where Busway differs from SNS: subscriptions need no confirmation (Subscribe answers
the subscription ARN at once, email included); copies are delivered raw (the message
as published, as with ``RawMessageDelivery=true``); a ``FilterPolicy`` is an
EventBridge event pattern matched against the message body (as with
``FilterPolicyScope=MessageBody``); message attributes are accepted and ignored.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from busway.api.aws.endpoint import Authenticate, new_request_id
from busway.errors import (
    AlreadyExistsError,
    InvalidEventPatternError,
    LimitExceededError,
    NotFoundError,
    ProtocolError,
    ValidationError,
)
from busway.service.topics import TopicService

NAMESPACE: Final = "http://sns.amazonaws.com/doc/2010-03-31/"
MAX_BODY_BYTES: Final = 512 * 1024
FORM_TYPE: Final = b"application/x-www-form-urlencoded"
_log = logging.getLogger("busway.api.sns")
_PROTOCOLS: Final = {"email", "email-json", "http", "https", "sqs", "lambda"}
Params = dict[str, str]
Result = str | None


def is_query_request(scope: Scope) -> bool:
    """Whether a ``POST /`` is form-encoded (the query protocol) rather than AWS JSON."""
    for key, value in scope["headers"]:
        if key == b"content-type":
            return bool(value.startswith(FORM_TYPE))
    return False


class SnsEndpoint:
    """An ASGI application answering query-protocol requests for ``topics``."""

    def __init__(self, topics: TopicService, *, authenticate: Authenticate | None = None) -> None:
        self._topics = topics
        self._authenticate = authenticate
        self._actions: dict[str, Callable[[Params], Awaitable[Result]]] = {
            "CreateTopic": self._create_topic,
            "ListTopics": self._list_topics,
            "GetTopicAttributes": self._topic_attributes,
            "DeleteTopic": self._delete_topic,
            "Subscribe": self._subscribe,
            "Unsubscribe": self._unsubscribe,
            "ListSubscriptionsByTopic": self._list_subscriptions,
            "Publish": self._publish,
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        request_id = new_request_id()
        try:
            body = await request.body()
            if len(body) > MAX_BODY_BYTES:
                raise ValidationError(f"Invalid parameter: request over {MAX_BODY_BYTES} bytes")
            if self._authenticate is not None:
                self._authenticate(request, body)
            params = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
            action = params.get("Action", "")
            handler = self._actions.get(action)
            if handler is None:
                raise ProtocolError("InvalidAction", f"The action {action} is not valid")
            status, xml = 200, _success(action, await handler(params), request_id)
        except Exception as error:
            status, xml = _failure(error, request_id)
        headers = [
            (b"content-type", b"text/xml"),
            (b"x-amzn-requestid", request_id.encode()),
            (b"content-length", str(len(xml)).encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": xml})

    async def _create_topic(self, params: Params) -> Result:
        name = _required(params, "Name")
        try:
            topic = await self._topics.create(name=name)
        except AlreadyExistsError:
            # CreateTopic is idempotent in SNS: the existing topic's ARN.
            topic = await self._topics.describe(name=name)
        return _text("TopicArn", topic["arn"])

    async def _list_topics(self, params: Params) -> Result:
        members = "".join(
            _node("member", _text("TopicArn", t["arn"])) for t in await self._topics.list_topics()
        )
        return _node("Topics", members)

    async def _topic_attributes(self, params: Params) -> Result:
        topic = await self._topics.describe(name=_required(params, "TopicArn"))
        attributes = {
            "TopicArn": topic["arn"],
            "DisplayName": topic.get("description") or "",
            "SubscriptionsConfirmed": str(topic["subscription_count"]),
            "SubscriptionsPending": "0",
            "SubscriptionsDeleted": "0",
        }
        entries = "".join(
            _node("entry", _text("key", key) + _text("value", value))
            for key, value in attributes.items()
        )
        return _node("Attributes", entries)

    async def _delete_topic(self, params: Params) -> Result:
        # SNS: deleting a topic that does not exist is not an error.
        with contextlib.suppress(NotFoundError):
            await self._topics.delete(name=_required(params, "TopicArn"))
        return None

    async def _subscribe(self, params: Params) -> Result:
        protocol = _required(params, "Protocol")
        if protocol not in _PROTOCOLS:
            raise ValidationError(
                f"Invalid parameter: Amazon SNS does not support this protocol string: {protocol}"
            )
        attributes = _map(params, "Attributes")
        created = await self._topics.subscribe(
            topic=_required(params, "TopicArn"),
            endpoint=_required(params, "Endpoint"),
            protocol="email" if protocol.startswith("email") else protocol,
            filter_pattern=attributes.get("FilterPolicy") or None,
        )
        return _text("SubscriptionArn", created["arn"])

    async def _unsubscribe(self, params: Params) -> Result:
        arn = _required(params, "SubscriptionArn")
        parts = arn.split(":")
        if len(parts) != 7 or parts[2] != "sns":
            raise ValidationError("Invalid parameter: SubscriptionArn Reason: not a subscription")
        await self._topics.unsubscribe(topic=parts[5], subscription=parts[6])
        return None

    async def _list_subscriptions(self, params: Params) -> Result:
        listed = await self._topics.subscriptions(topic=_required(params, "TopicArn"))
        members = "".join(_node("member", _subscription(s)) for s in listed)
        return _node("Subscriptions", members)

    async def _publish(self, params: Params) -> Result:
        topic = params.get("TopicArn") or params.get("TargetArn")
        if not topic:
            raise ValidationError("Invalid parameter: TopicArn or TargetArn Reason: no value")
        answer = await self._topics.publish(
            topic=topic, message=params.get("Message", ""), subject=params.get("Subject")
        )
        return _text("MessageId", answer["message_id"])


def _subscription(sub: Mapping[str, Any]) -> str:
    endpoint = str(sub["endpoint"]).removeprefix("mailto:")
    owner = str(sub["topic_arn"]).split(":")[4]
    return "".join(
        _text(name, value)
        for name, value in (
            ("SubscriptionArn", sub["arn"]),
            ("Owner", owner),
            ("Protocol", sub["protocol"]),
            ("Endpoint", endpoint),
            ("TopicArn", sub["topic_arn"]),
        )
    )


def _required(params: Params, name: str) -> str:
    value = params.get(name)
    if not value:
        raise ValidationError(f"Invalid parameter: {name} Reason: no value for required parameter")
    return value


def _map(params: Params, name: str) -> dict[str, str]:
    """A query-protocol map: ``Name.entry.N.key`` / ``Name.entry.N.value``."""
    prefix = f"{name}.entry."
    keys = {
        k.removeprefix(prefix).removesuffix(".key"): v
        for k, v in params.items()
        if k.startswith(prefix) and k.endswith(".key")
    }
    return {key: params.get(f"{prefix}{n}.value", "") for n, key in keys.items()}


def _text(name: str, value: str) -> str:
    return f"<{name}>{escape(value)}</{name}>"


def _node(name: str, xml: str) -> str:
    return f"<{name}>{xml}</{name}>"


def _success(action: str, result: Result, request_id: str) -> bytes:
    inner = f"<{action}Result>{result}</{action}Result>" if result is not None else ""
    metadata = f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
    return (f'<{action}Response xmlns="{NAMESPACE}">{inner}{metadata}</{action}Response>').encode()


_ERRORS: Final[list[tuple[type[Exception], str, int]]] = [
    (NotFoundError, "NotFound", 404),
    (LimitExceededError, "SubscriptionLimitExceeded", 403),
    (InvalidEventPatternError, "InvalidParameter", 400),
    (ValidationError, "InvalidParameter", 400),
]


def _failure(error: Exception, request_id: str) -> tuple[int, bytes]:
    code, status, message = "InternalError", 500, "An internal error occurred."
    if isinstance(error, ProtocolError):
        auth = error.code != "InvalidAction"
        code, status, message = error.code, 403 if auth else 400, error.message
    for kind, name, given in _ERRORS:
        if isinstance(error, kind):
            code, status, message = name, given, getattr(error, "message", None) or str(error)
            break
    if status >= 500:
        _log.exception("SNS request %s failed", request_id, exc_info=error)
    fault = "Sender" if status < 500 else "Receiver"
    xml = (
        f'<ErrorResponse xmlns="{NAMESPACE}"><Error><Type>{fault}</Type>'
        f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    return status, xml.encode()
