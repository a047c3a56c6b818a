"""API destinations: an HTTP endpoint, its method, its connection and its rate limit."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

from busway.errors import AlreadyExistsError, NotFoundError, ValidationError
from busway.service.connections import ConnectionService, connection_missing
from busway.service.context import Context
from busway.service.paging import page
from busway.storage.base import Resource

DEFAULT_RATE_LIMIT = 300


def destination_missing(name: str, *, describing: bool = False) -> NotFoundError:
    prefix = "Failed to describe the api-destination(s). " if describing else ""
    return NotFoundError(f"{prefix}An api-destination '{name}' does not exist.")


class ApiDestinationService:
    def __init__(self, context: Context, connections: ConnectionService) -> None:
        self._c = context
        self._connections = connections

    async def create(
        self,
        *,
        name: str,
        connection_arn: str,
        invocation_endpoint: str,
        http_method: str,
        description: str | None = None,
        invocation_rate_limit_per_second: int | None = None,
    ) -> dict[str, Any]:
        _check_endpoint(invocation_endpoint)
        state = await self._state_for(connection_arn)
        doc = {
            "connection_arn": connection_arn,
            "invocation_endpoint": invocation_endpoint,
            "http_method": http_method,
            "description": description,
            "invocation_rate_limit_per_second": invocation_rate_limit_per_second
            or DEFAULT_RATE_LIMIT,
        }
        arn = self._c.scope.arn("events", f"api-destination/{name}/{uuid.uuid4()}")
        resource = Resource(
            "api-destination", "", name, arn, {k: v for k, v in doc.items() if v is not None}
        )
        now = self._c.clock.now()
        if not await self._c.catalog.create(resource, now=now):
            raise AlreadyExistsError(f"An api-destination '{name}' already exists.")
        await self._c.directory.load()
        return _summary(resource, state=state, now=now)

    async def get(self, name: str, *, describing: bool = False) -> Resource:
        found = await self._c.catalog.get("api-destination", "", name)
        if found is None:
            raise destination_missing(name, describing=describing)
        return found

    async def describe(self, *, name: str) -> dict[str, Any]:
        found = await self.get(name, describing=True)
        state = await self._state_for(found.doc["connection_arn"], strict=False)
        return {
            "api_destination_arn": found.arn,
            "name": found.name,
            "api_destination_state": state,
            **found.doc,
            "creation_time": found.created,
            "last_modified_time": found.modified,
        }

    async def list(
        self,
        *,
        name_prefix: str | None = None,
        connection_arn: str | None = None,
        next_token: str | None = None,
        limit: int | None = None,
    ) -> dict[str, Any]:
        async def fetch(after: str, size: int) -> list[Resource]:
            found = await self._c.catalog.list_under(
                "api-destination", "", prefix=name_prefix or "", after=after
            )
            if connection_arn:
                found = [r for r in found if r.doc.get("connection_arn") == connection_arn]
            return found[:size]

        found, token = await page(fetch, next_token=next_token, limit=limit)
        listed = []
        for r in found:
            state = await self._state_for(r.doc["connection_arn"], strict=False)
            listed.append(
                {
                    "api_destination_arn": r.arn,
                    "name": r.name,
                    "api_destination_state": state,
                    **r.doc,
                    "creation_time": r.created,
                    "last_modified_time": r.modified,
                }
            )
        return {"api_destinations": listed, "next_token": token}

    async def update(self, *, name: str, **changes: Any) -> dict[str, Any]:
        found = await self.get(name)
        doc = {**found.doc, **{k: v for k, v in changes.items() if v is not None}}
        _check_endpoint(doc["invocation_endpoint"])
        state = await self._state_for(doc["connection_arn"])
        changed = Resource("api-destination", "", name, found.arn, doc, created=found.created)
        now = self._c.clock.now()
        await self._c.catalog.put(changed, now=now)
        await self._c.directory.load()
        return _summary(changed, state=state, now=now)

    async def delete(self, *, name: str) -> None:
        await self.get(name)
        await self._c.catalog.delete("api-destination", "", name)
        await self._c.directory.load()

    async def _state_for(self, connection_arn: str, *, strict: bool = True) -> str:
        name = connection_arn.split(":connection/", 1)[-1].split("/", 1)[0]
        found = await self._c.catalog.get("connection", "", name)
        if found is None or found.arn != connection_arn:
            if strict:
                raise connection_missing(name)
            return "INACTIVE"
        return "ACTIVE" if found.doc.get("connection_state") == "AUTHORIZED" else "INACTIVE"


def _summary(resource: Resource, *, state: str, now: Any) -> dict[str, Any]:
    return {
        "api_destination_arn": resource.arn,
        "api_destination_state": state,
        "creation_time": resource.created or now,
        "last_modified_time": now,
    }


def _check_endpoint(endpoint: str) -> None:
    # Unlike AWS, plain http:// is accepted: a self-hosted bus talks to local services.
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(
            f"Parameter InvocationEndpoint is not valid. Reason: {endpoint} is not an http(s) URL."
        )
