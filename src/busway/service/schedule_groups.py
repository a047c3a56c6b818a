"""Schedule groups, and the tags on them (the only taggable Scheduler resource)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from busway.errors import AlreadyExistsError, NotFoundError, ValidationError
from busway.service.context import Context
from busway.service.paging import page
from busway.service.schedules import DEFAULT_GROUP
from busway.storage.base import Resource


def group_missing(name: str) -> NotFoundError:
    return NotFoundError(f"Schedule group {name} does not exist.")


class ScheduleGroupService:
    def __init__(self, context: Context) -> None:
        self._c = context

    async def ensure_default(self) -> None:
        arn = self._arn(DEFAULT_GROUP)
        resource = Resource("schedule-group", "", DEFAULT_GROUP, arn, {})
        await self._c.catalog.create(resource, now=self._c.clock.now())

    async def create(
        self,
        *,
        name: str,
        client_token: str | None = None,
        tags: Sequence[Mapping[str, str]] | None = None,
    ) -> dict[str, Any]:
        arn = self._arn(name)
        doc = {"client_token": client_token} if client_token else {}
        existing = await self._c.catalog.get("schedule-group", "", name)
        if (
            existing is not None
            and client_token
            and existing.doc.get("client_token") == client_token
        ):
            return {"schedule_group_arn": arn}
        resource = Resource("schedule-group", "", name, arn, doc)
        if not await self._c.catalog.create(resource, now=self._c.clock.now()):
            raise AlreadyExistsError(f"Schedule group {name} already exists.")
        if tags:
            await self._c.catalog.tag(arn, {t["key"]: t["value"] for t in tags})
        return {"schedule_group_arn": arn}

    async def get(self, *, name: str) -> dict[str, Any]:
        found = await self._c.catalog.get("schedule-group", "", name)
        if found is None:
            raise group_missing(name)
        return _described(found)

    async def delete(self, *, name: str, client_token: str | None = None) -> None:
        if name == DEFAULT_GROUP:
            raise ValidationError("The default schedule group cannot be deleted.")
        if not await self._c.catalog.delete("schedule-group", "", name):
            raise group_missing(name)
        await self._c.schedules.delete_group(name)

    async def list(
        self,
        *,
        name_prefix: str | None = None,
        next_token: str | None = None,
        max_results: int | None = None,
    ) -> dict[str, Any]:
        async def fetch(after: str, size: int) -> list[Resource]:
            return await self._c.catalog.list_under(
                "schedule-group", "", prefix=name_prefix or "", after=after, limit=size
            )

        found, token = await page(fetch, next_token=next_token, limit=max_results)
        return {"schedule_groups": [_described(r) for r in found], "next_token": token}

    async def tag(self, *, resource_arn: str, tags: Sequence[Mapping[str, str]]) -> None:
        await self._taggable(resource_arn)
        await self._c.catalog.tag(resource_arn, {t["key"]: t["value"] for t in tags})

    async def untag(self, *, resource_arn: str, tag_keys: Sequence[str]) -> None:
        await self._taggable(resource_arn)
        await self._c.catalog.untag(resource_arn, tag_keys)

    async def tags(self, *, resource_arn: str) -> dict[str, Any]:
        await self._taggable(resource_arn)
        tags = await self._c.catalog.tags(resource_arn)
        return {"tags": [{"key": key, "value": value} for key, value in tags.items()]}

    async def _taggable(self, arn: str) -> None:
        name = arn.split(":schedule-group/", 1)[-1]
        found = await self._c.catalog.get("schedule-group", "", name)
        if found is None or found.arn != arn:
            raise group_missing(name)

    def _arn(self, name: str) -> str:
        return self._c.scope.arn("scheduler", f"schedule-group/{name}")


def _described(resource: Resource) -> dict[str, Any]:
    return {
        "arn": resource.arn,
        "name": resource.name,
        "state": "ACTIVE",
        "creation_date": resource.created,
        "last_modification_date": resource.modified,
    }
