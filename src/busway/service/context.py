"""What every control-plane service is given."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from busway.arn import Scope
from busway.clock import Clock
from busway.engine.directory import Directory
from busway.engine.router import Router
from busway.storage.base import Catalog
from busway.storage.schedules import ScheduleStore


@dataclass(frozen=True)
class Context:
    catalog: Catalog
    router: Router
    directory: Directory
    scope: Scope
    clock: Clock
    schedules: ScheduleStore
    wake_scheduler: Callable[[], None] = field(default=lambda: None)
