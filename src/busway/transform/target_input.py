"""The values a target's input options are made of."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class InputTransformer:
    """A target's ``InputTransformer``: variables read from the event, and a template.

    ``input_paths_map`` maps a variable name to a JSONPath; ``input_template`` uses each
    variable as ``<name>``.
    """

    input_paths_map: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    input_template: str = ""


@dataclass(frozen=True, slots=True)
class Rendered:
    """What a target receives for one event.

    ``text`` is the exact body AWS would deliver, or None when AWS would deliver nothing
    (the transformed input is not valid JSON).
    """

    text: str | None

    @property
    def delivered(self) -> bool:
        """Whether there is anything to deliver."""
        return self.text is not None


NOTHING = Rendered(None)
