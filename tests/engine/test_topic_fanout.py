"""Topic fan-out in the engine, driven with a settable clock: each subscription's copy
is its own delivery, retried and dead-lettered on its own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.engine.harness import Engine, scenario
from tests.engine.test_email_sender import Mailbox
from tests.servers import Sink, start_sink

from busway.engine.senders.email import EmailSender, SmtpSettings

TOPIC = "arn:aws:sns:us-east-1:000000000000:orders"


@pytest.fixture
def flaky() -> Iterator[Sink]:
    """A sink that answers 500 to its first request."""
    started = start_sink()
    answers = iter([500])
    started.respond = lambda _: (next(answers, 200), {}, b"")
    yield started
    started.stop()


async def with_topic(engine: Engine, mailbox: Mailbox | None = None) -> None:
    if mailbox is not None:
        settings = SmtpSettings(host="127.0.0.1", port=mailbox.port)
        engine.runtime.senders.email = EmailSender(settings)
    await engine.runtime.topics.create(name="orders")
    await engine.route(TOPIC)


def test_each_subscriber_is_retried_on_its_own(
    tmp_path: Path, sink: Sink, flaky: Sink, mailbox: Mailbox
) -> None:
    mailbox.defer["late@example.com"] = 1

    async def body(engine: Engine) -> list[tuple[int, int, int]]:
        await with_topic(engine, mailbox)
        topics = engine.runtime.topics
        for endpoint in (sink.url, flaky.url, "mailto:late@example.com"):
            await topics.subscribe(topic="orders", endpoint=endpoint)
        await engine.put()
        await engine.drain()
        seen = [(len(sink.requests), len(flaky.requests), len(mailbox.mails))]
        await engine.tick(60)
        seen.append((len(sink.requests), len(flaky.requests), len(mailbox.mails)))
        assert await engine.runtime.store.events.pending() == 0
        return seen

    assert scenario(tmp_path, body) == [(1, 1, 0), (1, 2, 1)]


def test_a_subscription_dead_letters_with_its_own_arn(tmp_path: Path) -> None:
    async def body(engine: Engine) -> tuple[str, list[dict[str, Any]]]:
        await with_topic(engine)
        queues = engine.runtime.queues
        url = await queues.create_queue("dlq")
        dlq = engine.runtime.scope.queue_arn("dlq")
        sub = await engine.runtime.topics.subscribe(
            topic="orders",
            endpoint="http://127.0.0.1:9/unreachable",
            retry_policy={"maximum_retry_attempts": 0},
            dead_letter_config={"arn": dlq},
        )
        await engine.put()
        await engine.drain()
        messages = await queues.receive_message(
            url, message_attribute_names=["All"], max_number_of_messages=10, wait_time_seconds=0
        )
        return sub["arn"], messages

    arn, messages = scenario(tmp_path, body)
    (message,) = messages
    assert json.loads(message["body"])["source"] == "shop"
    attributes = message["message_attributes"]
    assert attributes["RULE_ARN"]["string_value"] == arn
    assert attributes["TARGET_ARN"]["string_value"] == "http://127.0.0.1:9/unreachable"


def test_a_missing_topic_fails_the_rule_target(tmp_path: Path) -> None:
    async def body(engine: Engine) -> list[tuple[str, str | None]]:
        await engine.route(TOPIC)
        await engine.put()
        await engine.drain()
        outcomes = await engine.runtime.store.events.outcomes()
        return [(o.outcome, o.error) for o in outcomes]

    assert scenario(tmp_path, body) == [("dropped", "NO_RESOURCE: Topic orders does not exist.")]


def test_a_rule_can_mail_an_address_directly(tmp_path: Path, mailbox: Mailbox) -> None:
    async def body(engine: Engine) -> list[str]:
        settings = SmtpSettings(host="127.0.0.1", port=mailbox.port)
        engine.runtime.senders.email = EmailSender(settings)
        await engine.route("mailto:ops@example.com")
        await engine.put()
        await engine.drain()
        return [mail["Subject"] for mail in mailbox.mails]

    assert scenario(tmp_path, body) == ["x from shop"]
