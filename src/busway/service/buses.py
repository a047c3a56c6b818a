"""Event buses: CreateEventBus, DescribeEventBus, ListEventBuses, DeleteEventBus."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from busway.arn import bus_name_of
from busway.errors import AlreadyExistsError, NotFoundError, ValidationError
from busway.model import DEFAULT_BUS
from busway.service.context import Context
from busway.service.paging import page
from busway.storage.base import Resource

_KEPT = ("description", "kms_key_identifier", "dead_letter_config", "log_config")


def bus_missing(name: str) -> NotFoundError:
    return NotFoundError(f"Event bus {name} does not exist.")


class BusService:
    def __init__(self, context: Context) -> None:
        self._c = context

    async def ensure_default(self) -> None:
        """Create the default bus if this store has none yet."""
        scope = self._c.scope
        resource = Resource("bus", "", DEFAULT_BUS, scope.bus_arn(DEFAULT_BUS), {})
        if await self._c.catalog.create(resource, now=self._c.clock.now()):
            await self._c.router.refresh(DEFAULT_BUS)

    async def create(
        self, *, name: str, tags: Sequence[Mapping[str, str]] | None = None, **settings: Any
    ) -> dict[str, Any]:
        if "/" in name:
            raise ValidationError(
                f"Event bus name {name} is not valid. Partner event buses are not supported."
            )
        doc = {key: settings[key] for key in _KEPT if settings.get(key) is not None}
        resource = Resource("bus", "", name, self._c.scope.bus_arn(name), doc)
        if name == DEFAULT_BUS or not await self._c.catalog.create(
            resource, now=self._c.clock.now()
        ):
            raise AlreadyExistsError(f"Event bus {name} already exists.")
        if tags:
            await self._c.catalog.tag(resource.arn, {t["key"]: t["value"] for t in tags})
        await self._c.router.refresh(name)
        return {"event_bus_arn": resource.arn, **doc}

    async def get(self, name_or_arn: str | None) -> Resource:
        name = bus_name_of(name_or_arn or DEFAULT_BUS)
        found = await self._c.catalog.get("bus", "", name)
        if found is None:
            raise bus_missing(name)
        return found

    async def describe(self, *, name: str | None = None) -> dict[str, Any]:
        bus = await self.get(name)
        return {
            "name": bus.name,
            "arn": bus.arn,
            **bus.doc,
            "creation_time": bus.created,
            "last_modified_time": bus.modified,
        }

    async def list(
        self, *, name_prefix: str = "", next_token: str | None = None, limit: int | None = None
    ) -> dict[str, Any]:
        async def fetch(after: str, size: int) -> list[Resource]:
            return await self._c.catalog.list_under(
                "bus", "", prefix=name_prefix or "", after=after, limit=size
            )

        found, token = await page(fetch, next_token=next_token, limit=limit)
        buses = [
            {
                "name": r.name,
                "arn": r.arn,
                "description": r.doc.get("description"),
                "creation_time": r.created,
                "last_modified_time": r.modified,
            }
            for r in found
        ]
        return {"event_buses": buses, "next_token": token}

    async def delete(self, *, name: str) -> None:
        name = bus_name_of(name)
        if name == DEFAULT_BUS:
            raise ValidationError("Cannot delete event bus default.")
        catalog = self._c.catalog
        for rule in await catalog.list_under("rule", name):
            for target in await catalog.list_under("target", f"{name}/{rule.name}"):
                await catalog.delete("target", target.parent, target.name)
            await catalog.delete("rule", name, rule.name)
        if not await catalog.delete("bus", "", name):
            raise bus_missing(name)
        self._c.router.forget(name)
