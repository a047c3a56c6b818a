"""Schedules that fire: claim what is due, turn each occurrence into events, and move
each schedule to its next occurrence, all in one transaction per batch.

Two kinds of schedule share the store: EventBridge Scheduler schedules (any group but
the hidden ``RULES_GROUP``) and rules with a ScheduleExpression, kept in ``RULES_GROUP``
under the rule's name. What fell due while the server was down is handled by
``MissedPolicy``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import orjson

from busway.arn import Scope
from busway.clock import Clock
from busway.engine.invocation import (
    SCHEDULE_TARGET_ID,
    SCHEDULER_BUS,
    fill_attempt,
    invocation_body,
)
from busway.engine.router import Router
from busway.engine.targets import TargetKind, target_kind
from busway.errors import StorageError
from busway.model import DEFAULT_BUS, Delivery, format_time
from busway.schedule import (
    flexible_offset,
    next_occurrence,
    parse_expression,
    parse_rule_expression,
)
from busway.storage.base import NewEvent
from busway.storage.schedules import Firing, ScheduleRecord, ScheduleStore

RULES_GROUP = "aws.events.rules"
_log = logging.getLogger("busway.scheduler")


class MissedPolicy(StrEnum):
    """What to do with occurrences that fell due while no server was running."""

    ONCE = "once"  # fire once for all that were missed, then carry on from now
    ALL = "all"  # fire every missed occurrence
    SKIP = "skip"  # fire none of them; carry on from now


def plan_first(
    doc: Mapping[str, Any], *, now: datetime, created: datetime, rand: float
) -> tuple[datetime | None, datetime | None]:
    """(due, occurrence) of a schedule's first occurrence from ``now`` on.

    A Scheduler rate schedule starts at once; a rule's rate counts from the rule's
    creation, so its first occurrence is one period later."""
    after = now if doc.get("kind") == "rule" else now - timedelta(microseconds=1)
    occurrence = _next(doc, after=after, anchor=created)
    if occurrence is None:
        return None, None
    return occurrence + _offset(doc, rand), occurrence


def _next(doc: Mapping[str, Any], *, after: datetime, anchor: datetime) -> datetime | None:
    text = doc["schedule_expression"]
    rule_kind = doc.get("kind") == "rule"
    expression = parse_rule_expression(text) if rule_kind else parse_expression(text)
    return next_occurrence(
        expression,
        after=after,
        timezone=doc.get("schedule_expression_timezone") or "UTC",
        start=doc.get("start_date"),
        end=doc.get("end_date"),
        anchor=doc.get("start_date") or anchor,
    )


def _offset(doc: Mapping[str, Any], rand: float) -> timedelta:
    window = doc.get("flexible_time_window") or {}
    return flexible_offset(
        mode=window.get("mode", "OFF"),
        maximum_window_minutes=window.get("maximum_window_in_minutes"),
        rand=rand,
    )


class Scheduler:
    """Fires due schedules through the same event log and dispatcher as PutEvents."""

    def __init__(
        self,
        *,
        store: ScheduleStore,
        router: Router,
        scope: Scope,
        clock: Clock,
        hand_off: Callable[[list[Delivery]], None],
        node: str,
        missed: MissedPolicy = MissedPolicy.ONCE,
        rand: Callable[[], float] = random.random,
        lease_seconds: float = 120.0,
        batch: int = 1000,
        poll_seconds: float = 1.0,
    ) -> None:
        self._store = store
        self._router = router
        self._scope = scope
        self._clock = clock
        self._hand_off = hand_off
        self._node = node
        self._missed = missed
        self._rand = rand
        self._lease = lease_seconds
        self._batch = batch
        self._poll = poll_seconds
        self._wake = asyncio.Event()
        self._stopping = False
        self._firing_time = clock.now()
        # Sees the events put on buses, as ``Ingest.tap`` does (live tails).
        self.tap: Callable[[Sequence[NewEvent]], None] | None = None

    def wake(self) -> None:
        """A schedule changed: look again at once."""
        self._wake.set()

    async def run(self) -> None:
        while not self._stopping:
            try:
                fired = await self.step()
            except StorageError as exc:
                _log.warning("firing schedules failed (%s); trying again", exc)
                fired = 0
            except Exception:
                _log.exception("firing schedules failed; trying again")
                fired = 0
            if fired:
                continue
            await self._sleep()

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run_until_idle(self) -> None:
        """Fire everything due now; for tests and tools."""
        while await self.step():
            pass

    async def step(self) -> int:
        """Fire one batch of due schedules; return how many."""
        now = self._clock.now()
        due = await self._store.due(now=now, limit=self._batch)
        if not due:
            return 0
        self._firing_time = now
        firings = [self._firing(record, now) for record in due]
        claimed = await self._store.fire(
            firings, now=now, lease_seconds=self._lease, node=self._node
        )
        if claimed:
            self._hand_off(claimed)
        if self.tap is not None:
            self.tap([event for firing in firings for event in firing.events])
        return len(due)

    async def _sleep(self) -> None:
        wait = self._poll
        try:
            upcoming = await self._store.next_due()
        except Exception:  # the store is failing: step() has logged it; poll again
            upcoming = None
        if upcoming is not None:
            wait = max(0.0, min(wait, (upcoming - self._clock.now()).total_seconds()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), wait)
        self._wake.clear()

    def _firing(self, record: ScheduleRecord, now: datetime) -> Firing:
        assert record.occurrence is not None and record.due_at is not None
        missed = record.due_at < now - timedelta(seconds=60)
        events = [] if missed and self._missed is MissedPolicy.SKIP else self._events(record)
        anchor = record.created or now
        after = record.occurrence
        if missed and self._missed is not MissedPolicy.ALL:
            after = max(after, now)
        following = _next(record.doc, after=after, anchor=anchor)
        if following is None:
            delete = record.doc.get("action_after_completion") == "DELETE"
            return Firing(record, events, None, None, delete=delete)
        due = following + _offset(record.doc, self._rand())
        return Firing(record, events, due, following)

    def _events(self, record: ScheduleRecord) -> list[NewEvent]:
        if record.group == RULES_GROUP:
            return self._rule_events(record)
        target = record.doc["target"]
        if target_kind(target["arn"]) is TargetKind.EVENT_BUS:
            return self._bus_events(record, target)
        payload = _context(target.get("input"), record, per_attempt=False)
        payload = payload or _notification(record, self._scope)
        body = invocation_body(origin_arn=record.arn, target=target, payload=payload)
        routes = [(record.key, SCHEDULE_TARGET_ID)]
        moment = self._firing_time
        return [NewEvent(str(uuid.uuid4()), SCHEDULER_BUS, moment, moment, body, routes)]

    def _bus_events(self, record: ScheduleRecord, target: Mapping[str, Any]) -> list[NewEvent]:
        bus = target["arn"].split(":event-bus/", 1)[1]
        routes = self._router.routes(bus)
        if routes is None:
            _log.warning("schedule %s targets missing bus %s", record.arn, bus)
            return []
        parameters = target.get("event_bridge_parameters") or {}
        detail = _detail(_context(target.get("input"), record))
        event = self._envelope(
            source=parameters.get("source", "aws.scheduler"),
            detail_type=parameters.get("detail_type", "Scheduled Event"),
            resources=[record.arn],
            detail=detail,
            time=record.occurrence,
        )
        return [self._new_event(event, bus, routes.route(event))]

    def _rule_events(self, record: ScheduleRecord) -> list[NewEvent]:
        routes = self._router.routes(DEFAULT_BUS)
        rule = routes.rules.get(record.name) if routes else None
        if routes is None or rule is None or rule.state == "DISABLED":
            return []
        event = self._envelope(
            source="aws.events",
            detail_type="Scheduled Event",
            resources=[rule.arn],
            detail={},
            time=record.occurrence,
        )
        targets = [(rule.name, target_id) for target_id in routes.targets.get(rule.name, {})]
        return [self._new_event(event, DEFAULT_BUS, targets)]

    def _envelope(
        self,
        *,
        source: str,
        detail_type: str,
        resources: list[str],
        detail: Any,
        time: datetime | None,
    ) -> dict[str, Any]:
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": detail_type,
            "source": source,
            "account": self._scope.account,
            "time": format_time(time or self._clock.now()),
            "region": self._scope.region,
            "resources": resources,
            "detail": detail,
        }

    def _new_event(
        self, event: dict[str, Any], bus: str, routes: list[tuple[str, str]]
    ) -> NewEvent:
        now = self._firing_time
        time = datetime.fromisoformat(event["time"])
        return NewEvent(event["id"], bus, time, now, orjson.dumps(event), routes)


def _context(text: str | None, record: ScheduleRecord, *, per_attempt: bool = True) -> str | None:
    """``text`` with Scheduler's context attributes filled in. With ``per_attempt``
    False, the execution id and attempt number are left for each attempt to fill."""
    if text is None or "<aws.scheduler." not in text:
        return text
    text = text.replace("<aws.scheduler.schedule-arn>", record.arn)
    scheduled = format_time(record.occurrence) if record.occurrence else ""
    text = text.replace("<aws.scheduler.scheduled-time>", scheduled)
    return fill_attempt(text, attempt=1) if per_attempt else text


def _detail(text: str | None) -> Any:
    if text is None:
        return {}
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _notification(record: ScheduleRecord, scope: Scope) -> str:
    event = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": scope.account,
        "time": format_time(record.occurrence) if record.occurrence else "",
        "region": scope.region,
        "resources": [record.arn],
        "detail": {},
    }
    return orjson.dumps(event).decode()
