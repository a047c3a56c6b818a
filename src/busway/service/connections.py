"""Connections: how Busway authenticates to an API destination. Secrets are kept but
never returned."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from typing import Any

from busway.errors import AlreadyExistsError, NotFoundError, ValidationError
from busway.service.context import Context
from busway.service.paging import page
from busway.storage.base import Resource

_AUTH_BLOCKS = {
    "BASIC": "basic_auth_parameters",
    "API_KEY": "api_key_auth_parameters",
    "OAUTH_CLIENT_CREDENTIALS": "o_auth_parameters",
}
_SECRET_KEYS = {"password", "api_key_value", "client_secret"}


def connection_missing(name: str, *, describing: bool = False) -> NotFoundError:
    prefix = "Failed to describe the connection(s). " if describing else ""
    return NotFoundError(f"{prefix}Connection '{name}' does not exist.")


class ConnectionService:
    def __init__(self, context: Context) -> None:
        self._c = context

    async def create(
        self,
        *,
        name: str,
        authorization_type: str,
        auth_parameters: Mapping[str, Any],
        description: str | None = None,
        **others: Any,
    ) -> dict[str, Any]:
        _check_auth(authorization_type, auth_parameters)
        key = uuid.uuid4()
        scope = self._c.scope
        doc = {
            "authorization_type": authorization_type,
            "auth_parameters": dict(auth_parameters),
            "description": description,
            "connection_state": "AUTHORIZED",
            "secret_arn": scope.arn(
                "secretsmanager", f"secret:events!connection/{name}/{key}-{secrets.token_hex(3)}"
            ),
            **{k: v for k, v in others.items() if v is not None},
        }
        now = self._c.clock.now()
        doc["last_authorized_time"] = now
        resource = Resource(
            "connection", "", name, scope.arn("events", f"connection/{name}/{key}"), doc
        )
        if not await self._c.catalog.create(resource, now=now):
            raise AlreadyExistsError(f"Connection {name} already exists.")
        await self._c.directory.load()
        state = "AUTHORIZING" if authorization_type == "OAUTH_CLIENT_CREDENTIALS" else "AUTHORIZED"
        return _summary(resource, now=now, state=state)

    async def get(self, name: str, *, describing: bool = False) -> Resource:
        found = await self._c.catalog.get("connection", "", name)
        if found is None:
            raise connection_missing(name, describing=describing)
        return found

    async def describe(self, *, name: str) -> dict[str, Any]:
        found = await self.get(name, describing=True)
        doc = found.doc
        return {
            "connection_arn": found.arn,
            "name": found.name,
            **{k: v for k, v in doc.items() if k != "auth_parameters"},
            "auth_parameters": _without_secrets(doc["auth_parameters"]),
            "creation_time": found.created,
            "last_modified_time": found.modified,
        }

    async def list(
        self,
        *,
        name_prefix: str | None = None,
        connection_state: str | None = None,
        next_token: str | None = None,
        limit: int | None = None,
    ) -> dict[str, Any]:
        async def fetch(after: str, size: int) -> list[Resource]:
            found = await self._c.catalog.list_under(
                "connection", "", prefix=name_prefix or "", after=after
            )
            if connection_state:
                found = [r for r in found if r.doc.get("connection_state") == connection_state]
            return found[:size]

        found, token = await page(fetch, next_token=next_token, limit=limit)
        listed = [
            {
                "connection_arn": r.arn,
                "name": r.name,
                "connection_state": r.doc.get("connection_state"),
                "authorization_type": r.doc.get("authorization_type"),
                "creation_time": r.created,
                "last_modified_time": r.modified,
                "last_authorized_time": r.doc.get("last_authorized_time"),
            }
            for r in found
        ]
        return {"connections": listed, "next_token": token}

    async def update(self, *, name: str, **changes: Any) -> dict[str, Any]:
        found = await self.get(name)
        doc = dict(found.doc)
        kind = changes.get("authorization_type") or doc["authorization_type"]
        if changes.get("auth_parameters") is not None:
            merged = _merge(doc["auth_parameters"], changes["auth_parameters"])
            _check_auth(kind, merged)
            doc["auth_parameters"] = merged
        doc["authorization_type"] = kind
        for key, value in changes.items():
            if key not in ("auth_parameters", "authorization_type") and value is not None:
                doc[key] = value
        now = self._c.clock.now()
        changed = Resource("connection", "", name, found.arn, doc, created=found.created)
        await self._c.catalog.put(changed, now=now)
        await self._c.directory.load()
        return _summary(changed, now=now, state=doc["connection_state"])

    async def delete(self, *, name: str) -> dict[str, Any]:
        found = await self.get(name)
        await self._c.catalog.delete("connection", "", name)
        await self._c.directory.load()
        return _summary(found, now=self._c.clock.now(), state="DELETING")

    async def deauthorize(self, *, name: str) -> dict[str, Any]:
        found = await self.get(name)
        doc = {**found.doc, "connection_state": "DEAUTHORIZED"}
        changed = Resource("connection", "", name, found.arn, doc, created=found.created)
        await self._c.catalog.put(changed, now=self._c.clock.now())
        await self._c.directory.load()
        return _summary(changed, now=self._c.clock.now(), state="DEAUTHORIZING")


def _summary(resource: Resource, *, now: Any, state: str) -> dict[str, Any]:
    return {
        "connection_arn": resource.arn,
        "connection_state": state,
        "creation_time": resource.created or now,
        "last_modified_time": now,
        "last_authorized_time": resource.doc.get("last_authorized_time"),
    }


def _check_auth(kind: str, parameters: Mapping[str, Any]) -> None:
    block = _AUTH_BLOCKS.get(kind)
    if block is None or not parameters.get(block):
        raise ValidationError(
            f"Parameter AuthParameters is not valid. Reason: {kind} authorization requires "
            f"{_aws_name(block or '')}."
        )
    others = [k for k in _AUTH_BLOCKS.values() if k != block and parameters.get(k)]
    if others:
        raise ValidationError(
            "Parameter AuthParameters is not valid. Reason: only the parameters of the "
            f"{kind} authorization type may be given."
        )


def _aws_name(snake: str) -> str:
    return "".join("OAuth" if part == "o" else part.capitalize() for part in snake.split("_"))


def _merge(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(old)
    for key, value in new.items():
        if isinstance(value, Mapping) and isinstance(old.get(key), Mapping):
            merged[key] = _merge(old[key], value)
        else:
            merged[key] = value
    return merged


def _without_secrets(value: Any) -> Any:
    if isinstance(value, Mapping):
        if value.get("is_value_secret"):
            return {k: v for k, v in value.items() if k != "value"}
        return {k: _without_secrets(v) for k, v in value.items() if k not in _SECRET_KEYS}
    if isinstance(value, list):
        return [_without_secrets(item) for item in value]
    return value
