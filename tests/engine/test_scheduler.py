"""Schedules fired by the engine under a settable clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.engine.harness import ROLE, Engine, scenario
from tests.servers import Sink

from busway.engine.scheduler import MissedPolicy, Scheduler


def times(sink: Sink) -> list[str]:
    return [orjson.loads(r.body)["time"] for r in sink.requests]


def test_a_scheduled_rule_fires_scheduled_events_counted_from_creation(
    tmp_path: Path, sink: Sink
) -> None:
    async def body(engine: Engine) -> list[dict[str, Any]]:
        rules = engine.runtime.events.rules
        await rules.put(name="every5", schedule_expression="rate(5 minutes)")
        await engine.runtime.events.targets.put(
            rule="every5", targets=[{"id": "t", "arn": sink.url}]
        )
        await engine.tick(299)
        await engine.tick(1)
        await engine.tick(300)
        await rules.disable(name="every5")
        await engine.tick(600)
        return [orjson.loads(r.body) for r in sink.requests]

    fired = scenario(tmp_path, body)
    assert [e["time"] for e in fired] == ["2026-05-01T12:05:30Z", "2026-05-01T12:10:30Z"]
    assert fired[0]["source"] == "aws.events"
    assert fired[0]["detail-type"] == "Scheduled Event"
    assert fired[0]["resources"] == ["arn:aws:events:us-east-1:000000000000:rule/every5"]
    assert fired[0]["detail"] == {}


def test_a_cron_schedule_in_a_time_zone_to_a_webhook(tmp_path: Path, sink: Sink) -> None:
    async def body(engine: Engine) -> list[bytes]:
        await engine.schedule(
            "morning",
            "cron(0 8 * * ? *)",
            {"arn": sink.url, "input": '{"at": "<aws.scheduler.scheduled-time>"}'},
            schedule_expression_timezone="Europe/Amsterdam",
        )
        await engine.tick(24 * 3600)
        return [r.body for r in sink.requests]

    assert scenario(tmp_path, body) == [b'{"at": "2026-05-02T06:00:00Z"}']


def test_one_time_schedule_with_delete_after_completion(tmp_path: Path, sink: Sink) -> None:
    async def body(engine: Engine) -> tuple[int, int]:
        await engine.schedule(
            "once", "at(2026-05-01T12:01:00)", {"arn": sink.url}, action_after_completion="DELETE"
        )
        await engine.tick(60)
        await engine.tick(3600)
        return len(sink.requests), await engine.runtime.store.schedules.count()

    assert scenario(tmp_path, body) == (1, 0)


def test_an_occurrence_fires_once_even_when_two_schedulers_race(tmp_path: Path, sink: Sink) -> None:
    async def body(engine: Engine) -> int:
        await engine.schedule("once", "at(2026-05-01T12:01:00)", {"arn": sink.url})
        runtime = engine.runtime
        other = Scheduler(
            store=runtime.store.schedules,
            router=runtime.router,
            scope=runtime.scope,
            clock=engine.clock,
            hand_off=runtime.dispatcher.hand_off,
            node="other",
        )
        engine.clock.advance(60)
        due = await runtime.store.schedules.due(now=engine.clock.now(), limit=10)
        firings = [runtime.scheduler._firing(d, engine.clock.now()) for d in due]
        twins = [other._firing(d, engine.clock.now()) for d in due]
        await runtime.store.schedules.fire(
            firings, now=engine.clock.now(), lease_seconds=60, node="a"
        )
        await runtime.store.schedules.fire(
            twins, now=engine.clock.now(), lease_seconds=60, node="b"
        )
        await engine.tick(0)
        return await runtime.store.events.pending() + len(sink.requests)

    assert scenario(tmp_path, body) == 1


@pytest.mark.parametrize(
    ("policy", "expected"),
    [(MissedPolicy.ONCE, 1), (MissedPolicy.ALL, 7), (MissedPolicy.SKIP, 0)],
)
def test_what_fell_due_while_down(
    tmp_path: Path, sink: Sink, policy: MissedPolicy, expected: int
) -> None:
    async def body(engine: Engine) -> int:
        engine.runtime.scheduler._missed = policy
        await engine.schedule("hourly", "rate(1 hour)", {"arn": sink.url})
        engine.clock.advance(6 * 3600 + 600)
        await engine.tick(0)
        fired = len(sink.requests)
        await engine.tick(3000)
        assert len(sink.requests) == fired + 1
        return fired

    assert scenario(tmp_path, body) == expected


def test_flexible_window_fires_within_it(tmp_path: Path) -> None:
    due = scenario(tmp_path, _flexible)
    nominal = datetime(2026, 5, 1, 13, 0, tzinfo=UTC)
    assert nominal <= due < nominal + timedelta(minutes=10)


async def _flexible(engine: Engine) -> datetime:
    await engine.runtime.schedules.create(
        name="flex",
        schedule_expression="at(2026-05-01T13:00:00)",
        flexible_time_window={"mode": "FLEXIBLE", "maximum_window_in_minutes": 10},
        target={"role_arn": ROLE, "arn": "http://127.0.0.1:9/x"},
    )
    record = await engine.runtime.store.schedules.get("default", "flex")
    assert record is not None and record.due_at is not None
    return record.due_at


def test_a_disabled_schedule_stops_firing_and_resumes(tmp_path: Path, sink: Sink) -> None:
    async def body(engine: Engine) -> list[int]:
        await engine.schedule("every", "rate(1 minute)", {"arn": sink.url})
        await engine.tick(0)
        counts = [len(sink.requests)]
        spec = {
            "schedule_expression": "rate(1 minute)",
            "flexible_time_window": {"mode": "OFF"},
            "target": {"role_arn": ROLE, "arn": sink.url},
        }
        await engine.runtime.schedules.update(name="every", state="DISABLED", **spec)
        await engine.tick(300)
        counts.append(len(sink.requests))
        await engine.runtime.schedules.update(name="every", **spec)
        await engine.tick(0)
        await engine.tick(60)
        counts.append(len(sink.requests))
        await engine.runtime.schedules.delete(name="every")
        await engine.tick(600)
        counts.append(len(sink.requests))
        return counts

    assert scenario(tmp_path, body) == [1, 1, 3, 3]


def test_a_schedule_to_a_queue_with_retries_and_dead_letters(tmp_path: Path) -> None:
    async def body(engine: Engine) -> tuple[list[str], list[dict[str, str]]]:
        queues = engine.runtime.queues
        work = await queues.create_queue("work")
        dead = await queues.create_queue("dead")
        scope = engine.runtime.scope
        await engine.schedule(
            "to-queue",
            "at(2026-05-01T12:01:00)",
            {"arn": scope.queue_arn("work"), "input": '{"job": "<aws.scheduler.schedule-arn>"}'},
        )
        await engine.schedule(
            "to-missing",
            "at(2026-05-01T12:01:00)",
            {
                "arn": scope.queue_arn("nope"),
                "dead_letter_config": {"arn": scope.queue_arn("dead")},
            },
        )
        await engine.tick(60)
        got = await queues.receive_message(work, max_number_of_messages=10)
        lost = await queues.receive_message(dead, message_attribute_names=["All"])
        bodies = [m["body"] for m in got]
        attributes = [
            {k: v["string_value"] for k, v in m["message_attributes"].items()} for m in lost
        ]
        return bodies, attributes

    bodies, attributes = scenario(tmp_path, body)
    assert bodies == [
        '{"job": "arn:aws:scheduler:us-east-1:000000000000:schedule/default/to-queue"}'
    ]
    (dead,) = attributes
    assert dead["ERROR_CODE"] == "NO_RESOURCE"
    assert (
        dead["RULE_ARN"] == "arn:aws:scheduler:us-east-1:000000000000:schedule/default/to-missing"
    )


def test_each_attempt_gets_its_number_and_execution_id(tmp_path: Path, sink: Sink) -> None:
    answers = iter([500])
    sink.respond = lambda _: (next(answers, 200), {}, b"")

    async def body(engine: Engine) -> list[dict[str, str]]:
        template = '{"n": "<aws.scheduler.attempt-number>", "x": "<aws.scheduler.execution-id>"}'
        await engine.schedule(
            "retried", "at(2026-05-01T12:01:00)", {"arn": sink.url, "input": template}
        )
        await engine.tick(60)
        await engine.tick(2)
        return [orjson.loads(r.body) for r in sink.requests]

    first, second = scenario(tmp_path, body)
    assert (first["n"], second["n"]) == ("1", "2")
    assert first["x"] != second["x"] and len(first["x"]) == 16
