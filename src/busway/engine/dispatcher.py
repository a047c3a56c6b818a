"""Deliveries: claim the due ones, send each, then record the outcome in batches.

A delivery committed by ingest arrives here in memory, already claimed, so its first
attempt starts at once; the store stays the truth. Anything not handed over (retries,
leases left by a dead process) is found by polling ``claim``.

At most ``max_waiting`` handed-over deliveries wait in memory for a free sending slot;
beyond that they are given back to the store (``defer``) and claimed from it as sending
catches up, so a burst of ingest larger than the targets can take costs disk, not memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import orjson

from busway.clock import Clock
from busway.engine.invocation import INVOCATION_BUSES, invocation_of
from busway.engine.retry import GiveUp, decide_retry
from busway.engine.router import Router
from busway.engine.targets import Senders
from busway.errors import StorageError
from busway.model import Delivery, Outcome, Rule, SendResult, Target
from busway.storage.base import EventLog, Finished, RetryLater
from busway.transform import InputTransformer, render_input

_log = logging.getLogger("busway.dispatcher")
CLAIM_LIMIT = 512
# Outcomes wait this long to share a commit: they hold up no caller, only the rows.
FLUSH_DELAY_SECONDS = 0.02
# Outcomes that could not be written (database down) are tried again, waiting longer
# each time up to this.
MOST_FLUSH_BACKOFF_SECONDS = 1.0


class Dispatcher:
    """Sends deliveries with bounded concurrency and writes their outcomes in batches."""

    def __init__(
        self,
        *,
        log: EventLog,
        router: Router,
        senders: Senders,
        clock: Clock,
        node: str,
        concurrency: int = 128,
        max_waiting: int = 4096,
        lease_seconds: float = 120.0,
        poll_seconds: float = 1.0,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._log = log
        self._router = router
        self._senders = senders
        self._clock = clock
        self._node = node
        self._lease = lease_seconds
        self._poll = poll_seconds
        self._rand = rand
        self._slots = asyncio.Semaphore(concurrency)
        self._max_waiting = max_waiting
        # Taken from the inbox but waiting for a slot; with the inbox, what memory holds.
        self._queued = 0
        self._deferred: list[int] = []
        self._backlog = False
        self._wake = asyncio.Event()
        self._inbox: list[Delivery] = []
        self._running: set[asyncio.Task[None]] = set()
        self._finished: list[Finished] = []
        self._retries: list[RetryLater] = []
        self._flushing = asyncio.Lock()
        self._flush_task: asyncio.Task[None] | None = None
        self._earliest_retry: datetime | None = None
        self._stopping = False
        self._claim_now = False
        self._outage = False

    def hand_off(self, deliveries: list[Delivery]) -> None:
        """Take freshly committed, already claimed deliveries for their first attempt;
        those beyond ``max_waiting`` are deferred to the store."""
        room = max(0, self._max_waiting - len(self._inbox) - self._queued)
        if room < len(deliveries):
            self._deferred.extend(delivery.id for delivery in deliveries[room:])
            deliveries = deliveries[:room]
            self._schedule_flush()
        self._inbox.extend(deliveries)
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    def claim_soon(self) -> None:
        """Deliveries fell due behind this node's back (another node released them):
        claim now rather than at the next poll."""
        self._claim_now = True
        self._wake.set()

    async def run(self) -> None:
        """Deliver until ``stop``. Handed-over deliveries start at once; the store is
        asked for due ones every ``poll_seconds``, or sooner when a retry falls due."""
        next_claim = self._clock.now()
        while not self._stopping:
            await self._start(self._take_inbox())
            if self._claim_now or self._clock.now() >= next_claim or self._backlog_fits():
                self._claim_now = self._backlog = False
                claimed = await self._claim()
                await self._start(claimed)
                next_claim = self._next_claim(full=len(claimed) == CLAIM_LIMIT)
            if self._earliest_retry is not None:
                next_claim = min(next_claim, self._earliest_retry)
            wait = max(0.0, (next_claim - self._clock.now()).total_seconds())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)
            self._wake.clear()

    async def stop(self) -> None:
        """Finish the sends in flight and write their outcomes."""
        self._stopping = True
        self._wake.set()
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
        if self._flush_task is not None:
            await self._flush_task
        await self.flush()

    async def step(self) -> int:
        """Start sending what was handed over and what is due; return how many."""
        batch = self._take_inbox() + await self._claim()
        await self._start(batch)
        return len(batch)

    async def run_until_idle(self) -> None:
        """Deliver everything due now and wait for it; for tests and tools."""
        while True:
            started = await self.step()
            if self._running:
                await asyncio.gather(*list(self._running))
            await self.flush()
            if not started and not self._inbox:
                return

    async def flush(self) -> None:
        """Write the outcomes and deferrals gathered so far."""
        async with self._flushing:
            deferred, self._deferred = self._deferred, []
            if deferred:
                try:
                    await self._log.defer(deferred, now=self._clock.now())
                except Exception:
                    self._deferred[:0] = deferred
                    raise
                self._backlog = True
                self._wake.set()
            retries, self._retries = self._retries, []
            if retries:
                try:
                    await self._log.retry(retries)
                except Exception:
                    self._retries[:0] = retries  # kept for the next flush
                    raise
                earliest = min(r.run_at for r in retries)
                if self._earliest_retry is None or earliest < self._earliest_retry:
                    self._earliest_retry = earliest
                    self._wake.set()
            finished, self._finished = self._finished, []
            if finished:
                try:
                    await self._log.finish(finished, now=self._clock.now())
                except Exception:
                    self._finished[:0] = finished
                    raise

    def _take_inbox(self) -> list[Delivery]:
        batch, self._inbox = self._inbox, []
        return batch

    async def _claim(self) -> list[Delivery]:
        """The due deliveries; none while the store fails (the next poll tries again)."""
        self._earliest_retry = None
        try:
            claimed = await self._log.claim(
                now=self._clock.now(), limit=CLAIM_LIMIT, lease_seconds=self._lease, node=self._node
            )
        except Exception as exc:
            self._failed("claiming deliveries", exc)
            return []
        self._outage = False
        return claimed

    def _failed(self, doing: str, exc: Exception) -> None:
        """Log the first failure of an outage: one line a database outage, a trace a bug."""
        if not self._outage:
            self._outage = True
            trace = not isinstance(exc, StorageError)
            _log.warning("%s failed (%s); retrying", doing, exc, exc_info=trace)

    def _next_claim(self, *, full: bool) -> datetime:
        now = self._clock.now()
        if full:
            return now
        polled = now + timedelta(seconds=self._poll)
        retry = self._earliest_retry
        return polled if retry is None else max(now, min(polled, retry))

    def _backlog_fits(self) -> bool:
        # Deferred deliveries are claimed once half the waiting room is free again.
        return self._backlog and len(self._inbox) + self._queued <= self._max_waiting // 2

    async def _start(self, batch: list[Delivery]) -> None:
        self._queued += len(batch)
        for delivery in batch:
            await self._slots.acquire()
            self._queued -= 1
            task = asyncio.create_task(self._deliver(delivery))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _deliver(self, delivery: Delivery) -> None:
        try:
            await self._attempt(delivery)
        except Exception:
            _log.exception("delivery %s failed unexpectedly", delivery.id)
            self._retries.append(
                RetryLater(delivery.id, self._clock.now(), "internal error; retried")
            )
        finally:
            self._slots.release()
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        # Outcomes are written a few milliseconds after the first one, together.
        if self._flush_task is None or self._flush_task.done():
            self._flush_task = asyncio.create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        delay = FLUSH_DELAY_SECONDS
        while True:
            await asyncio.sleep(delay)
            try:
                await self.flush()
                return
            except Exception as exc:
                self._failed("writing delivery outcomes", exc)
                if self._stopping:  # stop() tries once more itself
                    return
            delay = min(delay * 2, MOST_FLUSH_BACKOFF_SECONDS)

    async def _attempt(self, delivery: Delivery) -> None:
        prepared = self._prepare(delivery)
        if isinstance(prepared, Finished):
            self._finished.append(prepared)
            return
        rule, target, event, payload = prepared
        now = self._clock.now()
        result = await self._senders.send(
            delivery, target=target, event=event, payload=payload, now=now
        )
        await self._settle(delivery, rule, target, result, payload=payload)

    def _prepare(
        self, delivery: Delivery
    ) -> tuple[Rule, Target, dict[str, Any] | None, str] | Finished:
        """The rule, target, event (None: not parsed yet) and rendered payload of
        ``delivery``, or how it ends."""
        if delivery.bus in INVOCATION_BUSES:
            return invocation_of(delivery)
        found = self._router.target(delivery.bus, delivery.rule, delivery.target_id)
        if found is None:
            return Finished(delivery.id, "cancelled", "rule or target removed")
        rule, target = found
        event, text = _render(delivery, rule, target)
        if text is None:
            return Finished(delivery.id, "dropped", "transformed input is not valid JSON")
        return rule, target, event, text

    async def _settle(
        self, delivery: Delivery, rule: Rule, target: Target, result: SendResult, *, payload: str
    ) -> None:
        if result.outcome is Outcome.DELIVERED:
            self._finished.append(Finished(delivery.id, "delivered"))
            return
        now = self._clock.now()
        decision = decide_retry(
            result,
            policy=target.retry_policy,
            attempts=delivery.attempt,
            first_try=delivery.accepted,
            event_time_accepted=delivery.accepted,
            now=now,
            rand=self._rand(),
        )
        error = f"{result.error_code}: {result.error_message}"
        if not isinstance(decision, GiveUp):
            self._retries.append(RetryLater(delivery.id, decision.at, error))
            return
        outcome = await self._dead_letter(
            delivery,
            rule,
            target,
            result,
            condition=decision.exhausted_condition,
            payload=payload,
            now=now,
        )
        self._finished.append(Finished(delivery.id, outcome, error))

    async def _dead_letter(
        self,
        delivery: Delivery,
        rule: Rule,
        target: Target,
        result: SendResult,
        *,
        condition: str | None,
        payload: str,
        now: datetime,
    ) -> str:
        queue = target.dead_letter_arn
        if queue is None:
            return "dropped"
        attributes = {
            "RULE_ARN": rule.arn,
            "TARGET_ARN": target.arn,
            "ERROR_CODE": result.error_code or "UNKNOWN",
            "ERROR_MESSAGE": result.error_message or "",
            "RETRY_ATTEMPTS": str(delivery.attempt - 1),
        }
        if condition is not None:
            attributes["EXHAUSTED_RETRY_CONDITION"] = condition
        sent = await self._senders.queue.send(
            queue_arn=queue, body=payload, now=now, attributes=attributes
        )
        return "dead-lettered" if sent.outcome is Outcome.DELIVERED else "dropped"


def _render(
    delivery: Delivery, rule: Rule, target: Target
) -> tuple[dict[str, Any] | None, str | None]:
    """The event if it had to be parsed, and what ``target`` receives for ``delivery``
    (None when its transformer makes no JSON)."""
    input_text, input_path = target.setting("input"), target.setting("input_path")
    transformer = _transformer(target)
    if input_text is None and input_path is None and transformer is None:
        # The whole event: its stored body is already the compact JSON AWS delivers.
        return None, delivery.body.decode()
    event = orjson.loads(delivery.body)
    return event, render_input(
        event,
        input=input_text,
        input_path=input_path,
        transformer=transformer,
        rule_arn=rule.arn,
        rule_name=rule.name,
        ingestion_time=delivery.accepted.strftime("%Y-%m-%dT%H:%M:%SZ"),
    ).text


def _transformer(target: Target) -> InputTransformer | None:
    spec = target.setting("input_transformer")
    if not spec:
        return None
    return InputTransformer(
        input_paths_map=spec.get("input_paths_map") or {}, input_template=spec["input_template"]
    )
