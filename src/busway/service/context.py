"""What every control-plane service is given."""

from __future__ import annotations

from dataclasses import dataclass

from busway.arn import Scope
from busway.clock import Clock
from busway.engine.directory import Directory
from busway.engine.router import Router
from busway.storage.base import Catalog


@dataclass(frozen=True)
class Context:
    catalog: Catalog
    router: Router
    directory: Directory
    scope: Scope
    clock: Clock
