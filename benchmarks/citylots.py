"""Synthetic San Francisco city-lot features for aws/event-ruler's citylots2 benchmark rules.

event-ruler runs its benchmark over citylots2.json.gz (213,068 GeoJSON features, ~900 B each),
which is not available here. These features have the same shape: citylots2 is "citylots with
structured arrays", so coordinates are {"x","y","z"} objects and the first point is repeated as
geometry.firstCoordinates (the NUMERIC rules read it). Values the rules look for are made to occur.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

RULES_FILE = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "peer-data"
    / "event-ruler"
    / "derived"
    / "citylots2_benchmark_rules.json"
)

STREETS = (  # (name, weight): names the rules look for, and common SF streets
    ("FULTON", 3),
    ("MASON", 2),
    ("JEFFERSON", 1),
    ("BEACH", 1),
    ("HYDE", 2),
    ("CHESTNUT", 2),
    ("ACTON", 1),
    ("BLAKE", 1),
    ("BLANKEN", 1),
    ("DRUMM", 1),
    ("DRAKE", 1),
    ("RHODE ISLAND", 2),
    ("MISSION", 6),
    ("MARKET", 4),
    ("VALENCIA", 3),
    ("WASHINGTON", 3),
    ("CLAYTON", 2),
    ("LAKE", 2),
    ("STERLING", 1),
    ("CHICAGO", 1),
    ("SAN DIEGO", 1),
    ("GEARY", 4),
    ("HAIGHT", 3),
    ("19TH", 5),
    ("24TH", 4),
    ("FOLSOM", 4),
    ("IRVING", 3),
    ("JUDAH", 3),
    ("NORIEGA", 3),
    ("UNKNOWN", 1),
)
ST_TYPES = (
    ("ST", 55),
    ("AVE", 25),
    ("BLVD", 4),
    ("WAY", 4),
    ("TER", 3),
    ("PL", 3),
    ("DR", 2),
    ("LN", 2),
    ("CT", 1),
    (None, 1),
)
SPECIAL_LOTS = ("1430022", "2607117", "2607218", "3745012")
SPECIAL_X = -122.42916360922355
SPECIAL_Y = 37.729900216217324


def load_rule_sets(path: Path = RULES_FILE) -> dict[str, list[str]]:
    """Rule-set name -> the five pattern texts, in the file's order."""
    data = json.loads(path.read_text())
    return {
        name: [json.dumps(rule) for rule in body["rules"]]
        for name, body in data["rule_sets"].items()
    }


def build_lots(count: int, *, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(f"{seed}-citylots")
    return [_lot(rng) for _ in range(count)]


def _lot(rng: random.Random) -> dict[str, Any]:
    mapblklot, block, lot = _parcel(rng)
    from_st = rng.choice(("441", "0")) if rng.random() < 0.02 else str(rng.randrange(0, 3000))
    return {
        "type": "Feature",
        "properties": {
            "MAPBLKLOT": mapblklot,
            "BLKLOT": mapblklot,
            "BLOCK_NUM": block,
            "LOT_NUM": lot,
            "FROM_ST": from_st,
            "TO_ST": str(int(from_st) + rng.randrange(0, 40, 2)),
            "STREET": _weighted(rng, STREETS),
            "ST_TYPE": _weighted(rng, ST_TYPES),
            "ODD_EVEN": rng.choice(("E", "O")),
        },
        "geometry": _geometry(rng),
    }


def _parcel(rng: random.Random) -> tuple[str, str, str]:
    roll = rng.random()
    if roll < 0.0005:
        return "VACSTWIL", "VACS", "TWIL"
    if roll < 0.01:
        value = rng.choice(SPECIAL_LOTS)
        return value, value[:4], value[4:]
    block, lot = f"{rng.randint(1, 7600):04d}", f"{rng.randint(1, 250):03d}"
    return block + lot, block, lot


def _geometry(rng: random.Random) -> dict[str, Any]:
    multi = rng.random() < 0.005
    x0 = SPECIAL_X if rng.random() < 0.002 else rng.uniform(-122.514, -122.357)
    y0 = SPECIAL_Y if multi and rng.random() < 0.2 else rng.uniform(37.708, 37.811)
    ring = [{"x": x0, "y": y0, "z": 0}]
    for _ in range(rng.randint(7, 11)):
        ring.append(
            {"x": x0 + rng.uniform(-3e-4, 3e-4), "y": y0 + rng.uniform(-3e-4, 3e-4), "z": 0}
        )
    ring.append(dict(ring[0]))
    coordinates: list[Any] = [[ring]] if multi else [ring]
    return {
        "type": "MultiPolygon" if multi else "Polygon",
        "firstCoordinates": dict(ring[0]),
        "coordinates": coordinates,
    }


def _weighted(rng: random.Random, table: tuple[tuple[Any, int], ...]) -> Any:
    values, weights = zip(*table, strict=True)
    return rng.choices(values, weights)[0]
