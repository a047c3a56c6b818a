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


def call(method: Callable[..., Awaitable[Any]], **renames: str) -> Handler:
    async def handle(params: dict[str, Any]) -> Mapping[str, Any] | None:
        arguments = {renames.get(key, key): value for key, value in params.items()}
        result = await method(**arguments)
        return result if isinstance(result, Mapping) else None

    return handle


def events_api(s: EventsServices) -> ServiceApi:
    handlers: dict[str, Handler] = {
        "CreateEventBus": call(s.buses.create),
        "DescribeEventBus": call(s.buses.describe),
        "ListEventBuses": call(s.buses.list),
        "DeleteEventBus": call(s.buses.delete),
        "PutRule": call(s.rules.put),
        "DescribeRule": call(s.rules.describe),
        "ListRules": call(s.rules.list),
        "EnableRule": call(s.rules.enable),
        "DisableRule": call(s.rules.disable),
        "DeleteRule": call(s.rules.delete),
        "ListRuleNamesByTarget": call(s.rules.names_by_target),
        "PutTargets": call(s.targets.put),
        "RemoveTargets": call(s.targets.remove),
        "ListTargetsByRule": call(s.targets.list),
        "PutEvents": call(s.events.put),
        "TestEventPattern": call(s.events.test_pattern),
        "CreateConnection": call(s.connections.create),
        "DescribeConnection": call(s.connections.describe),
        "ListConnections": call(s.connections.list),
        "UpdateConnection": call(s.connections.update),
        "DeleteConnection": call(s.connections.delete),
        "DeauthorizeConnection": call(s.connections.deauthorize),
        "CreateApiDestination": call(s.destinations.create),
        "DescribeApiDestination": call(s.destinations.describe),
        "ListApiDestinations": call(s.destinations.list),
        "UpdateApiDestination": call(s.destinations.update),
        "DeleteApiDestination": call(s.destinations.delete),
        "TagResource": call(s.tags.tag),
        "UntagResource": call(s.tags.untag),
        "ListTagsForResource": call(s.tags.list),
    }
    return ServiceApi(
        name="events",
        target_prefix="AWSEvents",
        json_version="1.1",
        handlers=handlers,
        errors=ERRORS,
    )
