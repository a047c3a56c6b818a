"""The blog's buses, rules, topic and subscriptions on Busway; safe to run again.

- Rule ``blog-post-created`` (default bus): ``BlogPostCreated`` goes to the topic
  ``blog-notifications`` and to the function ``recognise-entities``.
- Topic ``blog-notifications``: one email subscription per reader and topic, filtered
  on the post's topic (``{"detail": {"topic": [TOPIC]}}``).
- Bus ``websocket`` and its rule ``blog-entities-to-author``: ``BlogPostEntitiesFound``
  is pushed over WebSocket to the connections on channel ``posts`` whose key is the
  post's author.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import busway
from blog.names import (
    AUTHOR_CHANNEL_ARN,
    CREATED,
    FOUND,
    FUNCTION_ARN,
    SOURCE,
    TOPIC,
    WEBSOCKET_BUS,
)

CREATED_RULE = "blog-post-created"
PUSH_RULE = "blog-entities-to-author"
# Busway retries a failing call with backoff; a post whose entities cannot be found
# within an hour is not worth showing any more.
FUNCTION_RETRY = {"MaximumRetryAttempts": 20, "MaximumEventAgeInSeconds": 3600}


def provision(client: busway.Client, *, subscribers: Mapping[str, Sequence[str]]) -> None:
    """Create what the blog needs on the server ``client`` talks to. ``subscribers``
    maps a blog topic to the email addresses told of its new posts."""
    topic_arn = _topic(client)
    client.put_rule(CREATED_RULE, {"source": [SOURCE], "detail-type": [CREATED]})
    client.put_target(CREATED_RULE, "notify-readers", topic_arn)
    client.put_target(CREATED_RULE, "find-entities", FUNCTION_ARN, RetryPolicy=FUNCTION_RETRY)
    if WEBSOCKET_BUS not in client.buses():
        client.create_bus(WEBSOCKET_BUS)
    client.put_rule(PUSH_RULE, {"source": [SOURCE], "detail-type": [FOUND]}, bus=WEBSOCKET_BUS)
    client.put_target(
        PUSH_RULE,
        "author-page",
        AUTHOR_CHANNEL_ARN,
        bus=WEBSOCKET_BUS,
        HttpParameters={"PathParameterValues": ["$.detail.author"]},
    )
    for blog_topic, addresses in subscribers.items():
        for address in addresses:
            subscribe_reader(client, address, blog_topic=blog_topic)


def subscribe_reader(client: busway.Client, address: str, *, blog_topic: str) -> None:
    """Mail ``address`` each new post on ``blog_topic``, unless it is already so."""
    wanted = topic_filter(blog_topic)
    for existing in client.subscriptions(TOPIC):
        same_filter = _pattern(existing.get("filter_pattern")) == wanted
        if existing["endpoint"] == f"mailto:{address}" and same_filter:
            return
    client.subscribe(TOPIC, address, protocol="email", filter_pattern=wanted)


def topic_filter(blog_topic: str) -> dict[str, Any]:
    """The subscription filter: the topic message is the whole event."""
    return {"detail": {"topic": [blog_topic]}}


def _topic(client: busway.Client) -> str:
    for topic in client.topics():
        if topic["name"] == TOPIC:
            return str(topic["arn"])
    return client.create_topic(TOPIC, description="New blog posts, mailed to their readers")


def _pattern(text: str | None) -> Any:
    return json.loads(text) if text else None
