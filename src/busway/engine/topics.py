"""Topics fan out: a message published to a topic becomes one delivery per subscription
whose filter pattern matches it.

Each subscription's copy rides the invocation log the scheduler uses, on its own
internal bus (see ``busway.engine.invocation``): an event whose body carries its own target (the
subscription's endpoint and settings) and payload, with one delivery. So every copy
is durable, retried and dead-lettered on its own (a failing mailbox never makes an
HTTP subscriber see the message twice), is sent by the sender of its endpoint's kind
(email, webhook, queue, function, ...), and still goes out if the subscription is
removed after the message was published.

A filter pattern (the EventBridge pattern language) is matched against the message
parsed as JSON; a message that is not a JSON object reaches only unfiltered
subscriptions.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import orjson

from busway.engine.ingest import Ingest
from busway.engine.invocation import SCHEDULE_TARGET_ID, TOPICS_BUS, invocation_body
from busway.patterns import Matcher, parse_pattern
from busway.storage.base import Catalog, NewEvent, Resource

TOPIC_KIND: Final = "topic"
SUBSCRIPTION_KIND: Final = "subscription"
# Delivery rule names of subscription copies: "topic:<topic>/<subscription id>".
COPY_PREFIX: Final = "topic:"
# Subscription settings that travel with each copy (the rest of its document stays).
_COPIED: Final = ("retry_policy", "dead_letter_config", "http_parameters")


@dataclass(frozen=True, slots=True)
class Published:
    """What one publish came to: the subscriptions it reached, by id."""

    topic: str
    reached: tuple[str, ...]


def topic_name_of(arn: str) -> str:
    """The topic name at the end of ``arn:aws:sns:<region>:<account>:<name>``."""
    return arn.rsplit(":", 1)[-1]


@functools.lru_cache(maxsize=1024)
def filter_matcher(pattern_text: str) -> Matcher[int]:
    """The compiled matcher of one filter pattern (validated when subscribing)."""
    return Matcher({0: parse_pattern(pattern_text)})


def accepts(subscription: Mapping[str, Any], message: Any) -> bool:
    """Whether a subscription (its document) takes ``message`` (parsed JSON, or None
    when the message is not JSON)."""
    pattern = subscription.get("filter_pattern")
    if not pattern:
        return True
    return isinstance(message, dict) and bool(filter_matcher(pattern).match(message))


class TopicFanout:
    """Writes the copies of a topic message, one per matching subscription, in one
    transaction, and hands them to the dispatcher."""

    def __init__(self, catalog: Catalog, ingest: Ingest) -> None:
        self._catalog = catalog
        self._ingest = ingest

    async def publish(
        self,
        topic: str,
        *,
        message: str,
        message_id: str,
        now: datetime,
        subject: str | None = None,
    ) -> Published | None:
        """Fan ``message`` out to the subscriptions of ``topic`` (a name); None when the
        topic does not exist. Returns once the copies are durable."""
        found = await self._catalog.get(TOPIC_KIND, "", topic)
        if found is None:
            return None
        subscriptions = await self._catalog.list_under(SUBSCRIPTION_KIND, topic)
        parsed = _parsed(message)
        chosen = [s for s in subscriptions if accepts(s.doc, parsed)]
        copies = [
            _copy(found, s, message=message, message_id=message_id, subject=subject, now=now)
            for s in chosen
        ]
        await self._ingest.append(copies, now=now)
        return Published(topic, tuple(s.name for s in chosen))


def _copy(
    topic: Resource,
    subscription: Resource,
    *,
    message: str,
    message_id: str,
    subject: str | None,
    now: datetime,
) -> NewEvent:
    doc = subscription.doc
    target: dict[str, Any] = {"arn": doc["endpoint"], "topic_arn": topic.arn}
    target.update({key: doc[key] for key in _COPIED if doc.get(key)})
    if subject:
        target["subject"] = subject
    body = invocation_body(origin_arn=subscription.arn, target=target, payload=message)
    route = (f"{COPY_PREFIX}{topic.name}/{subscription.name}", SCHEDULE_TARGET_ID)
    return NewEvent(message_id, TOPICS_BUS, now, now, body, [route])


def _parsed(message: str) -> Any:
    try:
        return orjson.loads(message)
    except orjson.JSONDecodeError:
        return None
