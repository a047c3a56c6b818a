"""Tags on event buses and rules: TagResource, UntagResource, ListTagsForResource."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from busway.arn import parse_arn
from busway.errors import NotFoundError
from busway.service.context import Context


class TagService:
    def __init__(self, context: Context) -> None:
        self._c = context

    async def tag(self, *, resource_arn: str, tags: Sequence[Mapping[str, str]]) -> None:
        await self._check(resource_arn)
        await self._c.catalog.tag(resource_arn, {t["key"]: t["value"] for t in tags})

    async def untag(self, *, resource_arn: str, tag_keys: Sequence[str]) -> None:
        await self._check(resource_arn)
        await self._c.catalog.untag(resource_arn, tag_keys)

    async def list(self, *, resource_arn: str) -> dict[str, Any]:
        await self._check(resource_arn)
        tags = await self._c.catalog.tags(resource_arn)
        return {"tags": [{"key": key, "value": value} for key, value in tags.items()]}

    async def _check(self, arn: str) -> None:
        resource = parse_arn(arn).resource
        kind, _, rest = resource.partition("/")
        if kind == "event-bus":
            if await self._c.catalog.get("bus", "", rest) is None:
                raise NotFoundError(f"Event bus {rest} does not exist.")
            return
        if kind == "rule":
            bus, _, rule = rest.rpartition("/")
            bus = bus or "default"
            if await self._c.catalog.get("rule", bus, rule) is None:
                raise NotFoundError(f"Rule {rule} does not exist on EventBus {bus}.")
            return
        raise NotFoundError(f"Resource {arn} does not exist.")
