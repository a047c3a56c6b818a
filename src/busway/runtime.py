"""The composition root: settings -> store -> engine -> services -> app. Nothing else
wires objects together."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gc
import secrets
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import BaseRoute

from busway.api.app import create_app
from busway.api.aws.endpoint import Authenticate
from busway.api.aws.events import EventsServices, events_api
from busway.api.aws.scheduler import scheduler_api
from busway.api.aws.sigv4 import verify_signature
from busway.api.aws.sns import SnsEndpoint
from busway.api.aws.sqs import sqs_api
from busway.api.cloudevents import cloudevents_route
from busway.api.functions import function_routes
from busway.api.ingress import IngressRoute, ingress_routes
from busway.api.topics import topic_routes
from busway.api.ws import ws_routes
from busway.api.ws_access import Access
from busway.arn import Scope
from busway.clock import Clock, SystemClock
from busway.config import Settings
from busway.engine.directory import Directory
from busway.engine.dispatcher import Dispatcher
from busway.engine.hub import Hub
from busway.engine.ingest import Ingest
from busway.engine.janitor import Janitor
from busway.engine.router import Router
from busway.engine.scheduler import MissedPolicy, Scheduler
from busway.engine.senders.egress import EgressPolicy
from busway.engine.senders.email import EmailSender, SmtpSettings
from busway.engine.senders.function import FunctionBroker
from busway.engine.senders.http import HttpSender
from busway.engine.senders.offload import RemoteHttpSender, SenderOptions
from busway.engine.senders.queue import QueueSender
from busway.engine.senders.websocket import WebSocketSender
from busway.engine.targets import Senders
from busway.engine.topics import TopicFanout
from busway.engine.watch import CatalogWatch
from busway.model import Delivery
from busway.service.api_destinations import ApiDestinationService
from busway.service.buses import BusService
from busway.service.connections import ConnectionService
from busway.service.context import Context
from busway.service.events import EventService
from busway.service.queues import QueueService
from busway.service.rules import RuleService
from busway.service.schedule_groups import ScheduleGroupService
from busway.service.schedules import ScheduleService
from busway.service.tags import TagService
from busway.service.targets import TargetService
from busway.service.topics import TopicService
from busway.storage.base import NewEvent, Resource
from busway.storage.postgres import PostgresStore
from busway.storage.sqlite import SqliteStore


def open_store(settings: Settings) -> SqliteStore | PostgresStore:
    """The backend the database URL names: ``postgresql://`` or SQLite."""
    url = settings.database_url
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresStore.deferred(url, notify=settings.postgres_notify)
    return SqliteStore(settings.sqlite_path)


def http_sender(settings: Settings) -> HttpSender | RemoteHttpSender:
    """The HTTP sender: in a child process (``http_process``) or in this one."""
    if settings.http_in_child:
        return RemoteHttpSender(
            SenderOptions(egress_allow=settings.egress_allow, egress_deny=settings.egress_deny)
        )
    return HttpSender(egress=EgressPolicy(allow=settings.egress_allow, deny=settings.egress_deny))


def node_name(settings: Settings) -> str:
    """This process's name in leases. One SQLite file has one server, so a restarted
    server takes back its own claims at once; nodes sharing PostgreSQL need names of
    their own (BUSWAY_NODE_NAME, default host:port)."""
    if settings.node_name:
        return settings.node_name
    if settings.database_url.startswith(("postgresql://", "postgres://")):
        return f"{socket.gethostname()}:{settings.port}"
    return "local"


def smtp_settings(settings: Settings) -> SmtpSettings:
    """Where email subscriptions go out; ``ValueError`` for an unknown security mode."""
    return SmtpSettings(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_from,
        username=settings.smtp_username,
        password=settings.smtp_password,
        security=settings.smtp_security,
    )


SETTLE_SECONDS = 1.0


class Heap:
    """Keeps full garbage collections short. Once the long-lived objects (modules, routes,
    matchers) have settled, they are frozen out of the collector's sight, so a full
    collection walks only what was made since, not a pause of tens of ms every second."""

    def __init__(self) -> None:
        self._pending: asyncio.TimerHandle | None = None

    def settle(self, *, generation: int = 2) -> None:
        """Collect what is garbage in ``generation`` and younger, then freeze every
        surviving object."""
        self._pending = None
        gc.collect(generation)
        gc.freeze()

    def settle_soon(self) -> None:
        """Freeze once changes (e.g. a burst of PutRule) stop for a second. Only the young
        generations are collected first: a full collection would stall the server for
        tens of ms, and Busway makes almost no cyclic garbage for the old one to hold."""
        if self._pending is not None:
            self._pending.cancel()
        loop = asyncio.get_running_loop()
        self._pending = loop.call_later(SETTLE_SECONDS, lambda: self.settle(generation=1))

    def stop(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None


@dataclass
class Runtime:
    """Every long-lived object of one Busway process."""

    settings: Settings
    clock: Clock = field(default_factory=SystemClock)

    def __post_init__(self) -> None:
        s = self.settings
        self.scope = Scope(account=s.account_id, region=s.region)
        self.store = open_store(s)
        self.node = node_name(s)
        catalog = self.store.catalog
        self.heap = Heap()
        self.router = Router(catalog, on_change=self._routes_changed)
        self.directory = Directory(catalog)
        self._build_engine(s)
        self._build_services(s)
        self._tasks: list[asyncio.Task[None]] = []

    def _build_engine(self, s: Settings) -> None:
        catalog = self.store.catalog
        self.http = http_sender(s)
        self.ingest = Ingest(
            log=self.store.events,
            router=self.router,
            scope=self.scope,
            clock=self.clock,
            hand_off=self._hand_off,
            node=self.node,
            lease_seconds=s.delivery_lease_seconds,
            size_limit=s.max_event_bytes,
        )
        # This node's WebSocket connections (api/ws.py registers them).
        self.hub = Hub(ingest=self.ingest, clock=self.clock)
        self.functions = FunctionBroker()
        self.senders = self._senders(s)
        self.dispatcher = Dispatcher(
            log=self.store.events,
            router=self.router,
            senders=self.senders,
            clock=self.clock,
            node=self.node,
            lease_seconds=s.delivery_lease_seconds,
        )
        self.scheduler = self._scheduler(s)
        self.watch = CatalogWatch(catalog, router=self.router, directory=self.directory)
        self.janitor = Janitor(
            self.store.maintenance,
            clock=self.clock,
            event_retention=timedelta(hours=s.event_retention_hours),
        )

    def _scheduler(self, s: Settings) -> Scheduler:
        scheduler = Scheduler(
            store=self.store.schedules,
            router=self.router,
            scope=self.scope,
            clock=self.clock,
            hand_off=self._hand_off,
            node=self.node,
            missed=MissedPolicy(s.missed_schedules),
            lease_seconds=s.delivery_lease_seconds,
        )
        # Scheduled events reach live tails like PutEvents' (the hub taps ingest).
        scheduler.tap = self._tap_scheduled
        return scheduler

    def _senders(self, s: Settings) -> Senders:
        """One sender per kind of target, all on this node."""
        return Senders(
            http=self.http,
            queue=QueueSender(self.store.queues, scope=self.scope),
            ingest=self.ingest,
            directory=self.directory,
            email=EmailSender(smtp_settings(s)),
            topics=TopicFanout(self.store.catalog, self.ingest),
            websocket=WebSocketSender(self.hub),
            functions=self.functions,
        )

    def _build_services(self, s: Settings) -> None:
        context = Context(
            self.store.catalog,
            self.router,
            self.directory,
            self.scope,
            self.clock,
            self.store.schedules,
            wake_scheduler=self._wake_scheduler,
        )
        self.schedules = ScheduleService(context)
        self.schedule_groups = ScheduleGroupService(context)
        rules = RuleService(context)
        connections = ConnectionService(context)
        self.buses = BusService(context)
        self.events = EventsServices(
            buses=self.buses,
            rules=rules,
            targets=TargetService(context, rules),
            events=EventService(self.ingest),
            connections=connections,
            destinations=ApiDestinationService(context, connections),
            tags=TagService(context),
        )
        # Move tasks run under this node's name and the deliveries' lease.
        self.queues = QueueService(
            self.store.queues,
            scope=self.scope,
            clock=self.clock,
            base_url=self.base_url,
            node=self.node,
            lease_seconds=s.delivery_lease_seconds,
        )
        self.ingress = [IngressRoute.from_settings(route) for route in s.ingress]
        assert self.senders.topics is not None
        self.topics = TopicService(context, self.senders.topics)

    def _hand_off(self, claimed: list[Delivery]) -> None:
        self.dispatcher.hand_off(claimed)

    def _tap_scheduled(self, events: Sequence[NewEvent]) -> None:
        if self.ingest.tap is not None:
            self.ingest.tap(events)

    def _routes_changed(self) -> None:
        self.heap.settle_soon()

    def _wake_scheduler(self) -> None:
        self.scheduler.wake()

    @property
    def base_url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.port}"

    async def start(self) -> None:
        """Load routes, resume what a previous life left unfinished, start delivering."""
        await self.store.connect()
        await self.buses.ensure_default()
        await self.schedule_groups.ensure_default()
        await self.router.load()
        await self.directory.load()
        self.senders.webhook_secret = await self._webhook_secret()
        await self.store.events.release(self.node, now=self.clock.now())
        if isinstance(self.http, RemoteHttpSender):
            await self.http.start()
        self.heap.settle()
        self._tasks = [
            asyncio.create_task(self.dispatcher.run()),
            asyncio.create_task(self.scheduler.run()),
            asyncio.create_task(self.janitor.run()),
            # Resumes this node's message move tasks, then takes over abandoned ones.
            asyncio.create_task(self.queues.moves.run()),
        ]
        if isinstance(self.store, PostgresStore):
            # Other nodes may change rules and targets: look every second, and at once
            # when they say so (NOTIFY; a hint, the timer is the guarantee).
            await self.watch.sync()
            self._tasks.append(asyncio.create_task(self.watch.run()))
            self._listen(self.store)

    def _listen(self, store: PostgresStore) -> None:
        if store.hints is not None:
            store.hints.on("catalog", lambda _: self.watch.poke())
            store.hints.on("schedules", lambda _: self.scheduler.wake())
            store.hints.on("deliveries", lambda _: self.dispatcher.claim_soon())
            store.hints.on("move_tasks", lambda _: self.queues.moves.wake())
        store.listen()

    async def stop(self) -> None:
        self.heap.stop()
        await self.scheduler.stop()
        await self.janitor.stop()
        await self.watch.stop()
        # Sends waiting on workers would hold up the dispatcher's stop: retry them.
        self.functions.close()
        await self.dispatcher.stop()
        await self.queues.moves.close()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.http.aclose()
        closed = self.store.close()
        if closed is not None:
            await closed

    def app(self) -> Starlette:
        authenticate = self._authenticate if self.settings.auth else None
        return create_app(
            [events_api(self.events), sqs_api(self.queues)],
            rest_services=[scheduler_api(self.schedules, self.schedule_groups)],
            extra_routes=[
                *self._ws_routes(authenticate),
                *ingress_routes(self.ingress, self.events.events),
                cloudevents_route(self.events.events),
                *topic_routes(self.topics, authenticate=authenticate),
                *function_routes(self.functions, authenticate=authenticate),
            ],
            start=self.start,
            stop=self.stop,
            authenticate=authenticate,
            query_endpoint=SnsEndpoint(self.topics, authenticate=authenticate),
        )

    def _ws_routes(self, authenticate: Authenticate | None) -> list[BaseRoute]:
        credentials = self.settings.credentials if self.settings.auth else None
        return ws_routes(
            self.hub,
            access=Access(credentials, authenticate),
            bus_exists=lambda bus: self.router.routes(bus) is not None,
        )

    def _authenticate(self, request: Request, body: bytes) -> None:
        verify_signature(
            method=request.method,
            path=request.scope["raw_path"].decode("latin-1"),
            query=request.scope["query_string"].decode("latin-1"),
            headers=request.headers,
            body=body,
            secrets=self.settings.credentials,
            now=datetime.now(UTC),
        )

    async def _webhook_secret(self) -> str:
        if self.settings.webhook_secret:
            return self.settings.webhook_secret
        catalog = self.store.catalog
        found = await catalog.get("setting", "", "webhook-secret")
        if found is not None:
            return str(found.doc["value"])
        value = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
        await catalog.create(
            Resource("setting", "", "webhook-secret", "", {"value": value}), now=self.clock.now()
        )
        found = await catalog.get("setting", "", "webhook-secret")
        return str(found.doc["value"]) if found else value
