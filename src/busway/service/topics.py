"""Topics: fan-out with subscriptions (email, HTTP, queue, function, any target kind),
each with an optional filter pattern.

Topics and subscriptions are catalog documents: a topic under ``""``, its
subscriptions under the topic's name. Answers are snake_case dicts.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any, Final

import orjson

from busway.engine.ingest import new_event_ids
from busway.engine.senders.email import MAILTO, address_of, is_address
from busway.engine.targets import TargetKind, target_kind
from busway.engine.topics import SUBSCRIPTION_KIND, TOPIC_KIND, TopicFanout, topic_name_of
from busway.errors import AlreadyExistsError, LimitExceededError, NotFoundError, ValidationError
from busway.patterns import parse_pattern
from busway.service.context import Context
from busway.storage.base import Resource

MAX_SUBSCRIPTIONS_PER_TOPIC: Final = 1000
MAX_MESSAGE_BYTES: Final = 262_144
MAX_SUBJECT_CHARS: Final = 100
_NAME: Final = re.compile(r"[A-Za-z0-9_-]{1,256}")
_PROTOCOLS: Final = {
    TargetKind.EMAIL: "email",
    TargetKind.QUEUE: "sqs",
    TargetKind.API_DESTINATION: "api-destination",
    TargetKind.EVENT_BUS: "event-bus",
}
_SETTINGS: Final = ("retry_policy", "dead_letter_config", "http_parameters")


def topic_missing(name: str) -> NotFoundError:
    return NotFoundError(f"Topic {name} does not exist.")


class TopicService:
    def __init__(self, context: Context, fanout: TopicFanout) -> None:
        self._c = context
        self._fanout = fanout

    async def create(self, *, name: str, description: str | None = None) -> dict[str, Any]:
        check_topic_name(name)
        doc = {"description": description} if description else {}
        resource = Resource(TOPIC_KIND, "", name, self._c.scope.arn("sns", name), doc)
        if not await self._c.catalog.create(resource, now=self._c.clock.now()):
            raise AlreadyExistsError(f"Topic {name} already exists.")
        return await self.describe(name=name)

    async def get(self, name_or_arn: str) -> Resource:
        name = topic_name_of(name_or_arn)
        found = await self._c.catalog.get(TOPIC_KIND, "", name)
        if found is None:
            raise topic_missing(name)
        return found

    async def describe(self, *, name: str) -> dict[str, Any]:
        found = await self.get(name)
        count = len(await self._c.catalog.list_under(SUBSCRIPTION_KIND, found.name))
        return {**_topic(found), "subscription_count": count}

    async def list_topics(self) -> list[dict[str, Any]]:
        return [_topic(r) for r in await self._c.catalog.list_under(TOPIC_KIND, "")]

    async def delete(self, *, name: str) -> None:
        """Delete the topic and its subscriptions; copies already published still go out."""
        found = await self.get(name)
        catalog = self._c.catalog
        if not await catalog.delete_tree(TOPIC_KIND, "", found.name, child_kind=SUBSCRIPTION_KIND):
            raise topic_missing(found.name)

    async def subscribe(
        self,
        *,
        topic: str,
        endpoint: str,
        protocol: str | None = None,
        filter_pattern: Mapping[str, Any] | str | None = None,
        **settings: Any,
    ) -> dict[str, Any]:
        found = await self.get(topic)
        endpoint = normalise_endpoint(endpoint, protocol=protocol)
        doc: dict[str, Any] = {"endpoint": endpoint, "protocol": protocol_of(endpoint)}
        if filter_pattern:
            doc["filter_pattern"] = checked_pattern(filter_pattern)
        doc.update(_settings(settings))
        existing = await self._c.catalog.list_under(SUBSCRIPTION_KIND, found.name)
        if len(existing) >= MAX_SUBSCRIPTIONS_PER_TOPIC:
            raise LimitExceededError(
                f"Topic {found.name} has {MAX_SUBSCRIPTIONS_PER_TOPIC} subscriptions already."
            )
        key, now = str(uuid.uuid4()), self._c.clock.now()
        arn = f"{found.arn}:{key}"
        resource = Resource(SUBSCRIPTION_KIND, found.name, key, arn, doc, created=now)
        await self._c.catalog.create(resource, now=now)
        return _subscription(resource, topic=found)

    async def subscriptions(self, *, topic: str) -> list[dict[str, Any]]:
        found = await self.get(topic)
        listed = await self._c.catalog.list_under(SUBSCRIPTION_KIND, found.name)
        return [_subscription(r, topic=found) for r in listed]

    async def unsubscribe(self, *, topic: str, subscription: str) -> None:
        found = await self.get(topic)
        key = subscription.rsplit(":", 1)[-1]
        if not await self._c.catalog.delete(SUBSCRIPTION_KIND, found.name, key):
            raise NotFoundError(f"Subscription {subscription} does not exist.")

    async def publish(
        self, *, topic: str, message: str, subject: str | None = None
    ) -> dict[str, Any]:
        """Fan ``message`` out; answers once every copy is durable."""
        check_message(message, subject=subject)
        name = topic_name_of(topic)
        (message_id,) = new_event_ids(1)
        published = await self._fanout.publish(
            name, message=message, message_id=message_id, now=self._c.clock.now(), subject=subject
        )
        if published is None:
            raise topic_missing(name)
        return {"message_id": message_id, "subscriptions": list(published.reached)}


def check_topic_name(name: str) -> None:
    if not _NAME.fullmatch(name or ""):
        raise ValidationError(
            "Invalid parameter: Topic Name must be made up of only uppercase and lowercase "
            "ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 "
            "characters long."
        )


def check_message(message: str, *, subject: str | None) -> None:
    if not message:
        raise ValidationError("Invalid parameter: Empty message")
    if len(message.encode()) > MAX_MESSAGE_BYTES:
        raise ValidationError(
            f"Invalid parameter: Message too long (the limit is {MAX_MESSAGE_BYTES} bytes)"
        )
    if subject is not None and (
        not subject or len(subject) > MAX_SUBJECT_CHARS or any(c in subject for c in "\r\n")
    ):
        raise ValidationError(
            f"Invalid parameter: Subject must be 1 to {MAX_SUBJECT_CHARS} characters on one line"
        )


def normalise_endpoint(endpoint: str, *, protocol: str | None) -> str:
    """The endpoint as a target ARN (``mailto:`` for email); ``ValidationError`` when
    Busway cannot deliver to it or it is another topic (fan-out does not chain)."""
    endpoint = (endpoint or "").strip()
    if protocol == "email" and not endpoint.startswith(MAILTO):
        endpoint = MAILTO + endpoint
    kind = target_kind(endpoint)
    if kind is None or kind is TargetKind.TOPIC:
        raise ValidationError(
            f"Invalid parameter: Endpoint {endpoint!r} is not one Busway can deliver to; use "
            "an email address, an http(s) URL, a queue, function or API destination ARN."
        )
    if kind is TargetKind.EMAIL and not is_address(address_of(endpoint)):
        raise ValidationError(f"Invalid parameter: Endpoint {endpoint!r} is not an email address")
    if protocol is not None and protocol not in ("email", protocol_of(endpoint)):
        raise ValidationError(
            f"Invalid parameter: Protocol {protocol} does not fit endpoint {endpoint!r}"
        )
    return endpoint


def protocol_of(endpoint: str) -> str:
    """SNS's protocol name for an endpoint (``email``, ``https``, ``sqs``, ``lambda``...)."""
    kind = target_kind(endpoint)
    if kind is TargetKind.WEBHOOK:
        return endpoint.split(":", 1)[0]
    if kind is not None and kind.value == "function":
        return "lambda"
    return _PROTOCOLS.get(kind, str(kind)) if kind is not None else "unknown"


def checked_pattern(pattern: Mapping[str, Any] | str) -> str:
    """A filter pattern as text, validated as EventBridge validates event patterns."""
    text = pattern if isinstance(pattern, str) else orjson.dumps(pattern).decode()
    parse_pattern(text)
    return text


def _settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The delivery settings of a subscription, checked as PutTargets checks them."""
    unknown = sorted(set(settings) - set(_SETTINGS))
    if unknown:
        raise ValidationError(f"Invalid parameter: unknown subscription setting {unknown[0]}")
    given = {key: value for key, value in settings.items() if value}
    _check_retry_policy(given.get("retry_policy") or {})
    _check_dead_letter(given.get("dead_letter_config") or {})
    _check_http_parameters(given.get("http_parameters") or {})
    return given


def _check_retry_policy(policy: Any) -> None:
    limits = {"maximum_retry_attempts": (0, 185), "maximum_event_age_in_seconds": (60, 86_400)}
    _check_keys("retry_policy", policy, set(limits))
    for key, (low, high) in limits.items():
        value = policy.get(key)
        if value is not None and (type(value) is not int or not low <= value <= high):
            raise ValidationError(
                f"Invalid parameter: retry_policy.{key} must be an integer from {low} to {high}"
            )


def _check_dead_letter(config: Any) -> None:
    _check_keys("dead_letter_config", config, {"arn"})
    arn = config.get("arn")
    if arn is not None and (not isinstance(arn, str) or target_kind(arn) is not TargetKind.QUEUE):
        raise ValidationError("Invalid parameter: dead_letter_config.arn must be a queue ARN")


def _check_http_parameters(parameters: Any) -> None:
    maps = ("header_parameters", "query_string_parameters")
    _check_keys("http_parameters", parameters, {*maps, "path_parameter_values"})
    for name in maps:
        value = parameters.get(name) or {}
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise ValidationError(f"Invalid parameter: http_parameters.{name}: text to text")
    values = parameters.get("path_parameter_values") or []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValidationError("Invalid parameter: http_parameters.path_parameter_values: texts")


def _check_keys(name: str, value: Any, allowed: set[str]) -> None:
    if not isinstance(value, Mapping):
        raise ValidationError(f"Invalid parameter: {name} must be an object")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ValidationError(f"Invalid parameter: unknown {name} member {unknown[0]}")


def _topic(resource: Resource) -> dict[str, Any]:
    return {
        "name": resource.name,
        "arn": resource.arn,
        "description": resource.doc.get("description"),
        "created": resource.created,
    }


def _subscription(resource: Resource, *, topic: Resource) -> dict[str, Any]:
    return {
        "id": resource.name,
        "arn": resource.arn,
        "topic": topic.name,
        "topic_arn": topic.arn,
        **resource.doc,
        "created": resource.created,
    }
