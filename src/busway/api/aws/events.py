"""The ``events`` service (AWS JSON 1.1, ``X-Amz-Target: AWSEvents.*``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from busway.api.aws.endpoint import error_table
from busway.api.aws.protocol import Handler, ServiceApi
from busway.errors import (
    AlreadyExistsError,
    InvalidEventError,
    InvalidEventPatternError,
    InvalidStateError,
    LimitExceededError,
    NotFoundError,
    ValidationError,
)
from busway.service.api_destinations import ApiDestinationService
from busway.service.buses import BusService
from busway.service.connections import ConnectionService
from busway.service.events import EventService
from busway.service.rules import RuleService
from busway.service.tags import TagService
from busway.service.targets import TargetService

ERRORS = error_table(
    {
        NotFoundError: "ResourceNotFoundException",
        AlreadyExistsError: "ResourceAlreadyExistsException",
        LimitExceededError: "LimitExceededException",
        InvalidEventPatternError: "InvalidEventPatternException",
        InvalidStateError: "IllegalStatusException",
        InvalidEventError: "ValidationException",
        ValidationError: "ValidationException",
    }
)


@dataclass(frozen=True)
class EventsServices:
    buses: BusService
    rules: RuleService
    targets: TargetService
    events: EventService
    connections: ConnectionService
    destinations: ApiDestinationService
    tags: TagService


def _call(method: Callable[..., Awaitable[Any]], **renames: str) -> Handler:
    async def handle(params: dict[str, Any]) -> Mapping[str, Any] | None:
        arguments = {renames.get(key, key): value for key, value in params.items()}
        result = await method(**arguments)
        return result if isinstance(result, Mapping) else None

    return handle


def events_api(s: EventsServices) -> ServiceApi:
    handlers: dict[str, Handler] = {
        "CreateEventBus": _call(s.buses.create),
        "DescribeEventBus": _call(s.buses.describe),
        "ListEventBuses": _call(s.buses.list),
        "DeleteEventBus": _call(s.buses.delete),
        "PutRule": _call(s.rules.put),
        "DescribeRule": _call(s.rules.describe),
        "ListRules": _call(s.rules.list),
        "EnableRule": _call(s.rules.enable),
        "DisableRule": _call(s.rules.disable),
        "DeleteRule": _call(s.rules.delete),
        "ListRuleNamesByTarget": _call(s.rules.names_by_target),
        "PutTargets": _call(s.targets.put),
        "RemoveTargets": _call(s.targets.remove),
        "ListTargetsByRule": _call(s.targets.list),
        "PutEvents": _call(s.events.put),
        "TestEventPattern": _call(s.events.test_pattern),
        "CreateConnection": _call(s.connections.create),
        "DescribeConnection": _call(s.connections.describe),
        "ListConnections": _call(s.connections.list),
        "UpdateConnection": _call(s.connections.update),
        "DeleteConnection": _call(s.connections.delete),
        "DeauthorizeConnection": _call(s.connections.deauthorize),
        "CreateApiDestination": _call(s.destinations.create),
        "DescribeApiDestination": _call(s.destinations.describe),
        "ListApiDestinations": _call(s.destinations.list),
        "UpdateApiDestination": _call(s.destinations.update),
        "DeleteApiDestination": _call(s.destinations.delete),
        "TagResource": _call(s.tags.tag),
        "UntagResource": _call(s.tags.untag),
        "ListTagsForResource": _call(s.tags.list),
    }
    return ServiceApi(
        name="events",
        target_prefix="AWSEvents",
        json_version="1.1",
        handlers=handlers,
        errors=ERRORS,
    )
