"""Pattern-matching benchmark: Busway's Matcher against the orjson parse floor, moto and LocalStack.

    python benchmarks/match.py [--sizes 10,100,1000,10000] [--quick] [--no-peers] [--seed N]
                               [--name NAME]

Prints tables and writes benchmarks/results/match-<date>.json and .md (match-<date>-quick.* for
--quick, match-<date>-NAME.* with --name). Not a test: nothing is asserted. See
benchmarks/README.md for what is measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

import citylots
import ruleset
import timing

RESULTS = Path(__file__).resolve().parent / "results"
PEER_SAMPLE_EVENTS = 1000


@dataclass(frozen=True)
class Settings:
    sizes: tuple[int, ...]
    seed: int
    quick: bool
    peers: bool
    name: str  # results file suffix (may be empty)
    min_seconds: float  # Busway and parse-floor timing, per size
    stream_events: int  # distinct events per size, replayed until min_seconds
    peer_budget_s: float  # per peer and rule-set size
    lots: int
    lots_min_seconds: float
    lots_peer_budget_s: float


def parse_args(argv: list[str] | None = None) -> Settings:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="10,100,1000,10000",
        help="comma-separated rule counts (default 10,100,1000,10000)",
    )
    parser.add_argument("--quick", action="store_true", help="short timings: a smoke run")
    parser.add_argument("--no-peers", action="store_true", help="do not time moto/LocalStack")
    parser.add_argument("--seed", type=int, default=20260301)
    parser.add_argument("--name", default="", help="results file suffix: match-<date>-NAME.*")
    args = parser.parse_args(argv)
    sizes = tuple(int(s) for s in args.sizes.split(",") if s.strip())
    common = {
        "sizes": sizes,
        "seed": args.seed,
        "quick": args.quick,
        "peers": not args.no_peers,
        "name": args.name,
    }
    if args.quick:
        return Settings(
            **common,
            min_seconds=0.2,
            stream_events=2000,
            peer_budget_s=0.3,
            lots=2000,
            lots_min_seconds=0.1,
            lots_peer_budget_s=0.2,
        )
    return Settings(
        **common,
        min_seconds=2.0,
        stream_events=10_000,
        peer_budget_s=3.0,
        lots=20_000,
        lots_min_seconds=1.0,
        lots_peer_budget_s=1.0,
    )


def load_measure() -> tuple[Any, str | None]:
    try:
        import measure
    except ImportError as exc:
        return None, f"busway.patterns is not importable ({exc}); Busway figures skipped"
    return measure, None


def run_size(size: int, settings: Settings, measure: Any) -> tuple[dict[str, Any], list[Any]]:
    rules = ruleset.build_ruleset(size, seed=settings.seed)
    events = ruleset.build_events(rules.world, settings.stream_events, seed=settings.seed)
    print(
        f"[{size} rules] {len(rules.world.sources)} sources, "
        f"{rules.world.distinct_detail_types} detail-types, {len(events)} events",
        flush=True,
    )
    entry: dict[str, Any] = {
        "rules": size,
        "sources": len(rules.world.sources),
        "distinct_detail_types": rules.world.distinct_detail_types,
        "rule_kinds": dict(Counter(rules.kinds)),
        "stream_events": len(events),
        "avg_event_bytes": _avg_bytes(events),
    }
    busway = _busway(measure, rules.texts, events, settings.min_seconds)
    entry["busway"] = busway
    if "match" in busway:
        # Parse floor, match and parse-and-match were timed paired, slice by slice:
        # the ratios are the median of those taken within each round.
        entry["parse_floor"] = busway.pop("parse")
        entry["match_to_parse_cost"] = statistics.median(busway["match_to_parse_rounds"])
        entry["pipeline_match_to_parse_cost"] = statistics.median(busway["in_ingest_rounds"])
    else:
        entry["parse_floor"] = _parse_floor(events, settings.min_seconds)
    sample = {
        "name": f"size:{size}",
        "rules": list(rules.texts),
        "events": events[:PEER_SAMPLE_EVENTS],
    }
    matched = busway.pop("matched", None)
    return entry, [sample, matched[:PEER_SAMPLE_EVENTS] if matched else None]


def _avg_bytes(events: list[dict[str, Any]]) -> float:
    return sum(len(orjson.dumps(e)) for e in events) / len(events)


def _parse_floor(events: list[dict[str, Any]], min_seconds: float) -> dict[str, Any]:
    return timing.parse_floor(events, min_seconds=min_seconds).as_dict()


def _busway(measure: Any, texts: Any, events: Any, min_seconds: float) -> dict[str, Any]:
    if measure is None:
        return {"error": "busway.patterns not importable"}
    try:
        result: dict[str, Any] = measure.measure_busway(texts, events, min_seconds=min_seconds)
    except Exception as exc:  # report engine failures and go on with the other figures
        return {"error": f"{type(exc).__name__}: {exc}"}
    return result


def run_citylots(settings: Settings, measure: Any) -> tuple[dict[str, Any], list[Any]]:
    if not citylots.RULES_FILE.exists():
        print(f"citylots: {citylots.RULES_FILE} not found, skipped")
        return {"error": f"{citylots.RULES_FILE} not found"}, []
    rule_sets = citylots.load_rule_sets()
    expected = json.loads(citylots.RULES_FILE.read_text())["rule_sets"]
    lots = citylots.build_lots(settings.lots, seed=settings.seed)
    print(f"[citylots] {len(rule_sets)} rule sets x 5 rules, {len(lots)} lots", flush=True)
    section: dict[str, Any] = {
        "lots": len(lots),
        "avg_event_bytes": _avg_bytes(lots),
        "parse_floor": _parse_floor(lots, settings.lots_min_seconds),
        "sets": [],
    }
    samples = []
    for name, texts in rule_sets.items():
        busway = _busway(measure, texts, lots, settings.lots_min_seconds)
        matched = busway.pop("matched", None)
        if matched is not None:
            counts = Counter(key for keys in matched for key in keys)
            busway["matches_per_rule"] = [counts[i] for i in range(len(texts))]
        section["sets"].append(
            {
                "name": name,
                "rules": texts,
                "busway": busway,
                "expected_on_real_citylots2": expected[name]["expected_matches"],
            }
        )
        samples.append(
            [
                {"name": f"citylots:{name}", "rules": texts, "events": lots[:PEER_SAMPLE_EVENTS]},
                matched,
            ]
        )
    return section, samples


def run_peers(
    settings: Settings, samples: list[list[Any]], budget: dict[str, float]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Returns (peer info, {set name: {peer: figures}})."""
    import peers

    sets = [sample for sample, _ in samples]
    try:
        by_group: dict[str, Any] = {}
        for group in ("size", "citylots"):
            chosen = [s for s in sets if s["name"].startswith(group)]
            if chosen:
                by_group[group] = peers.run_peers(chosen, budget_s=budget[group])
    except peers.PeerSetupError as exc:
        print(f"\n*** peers not measured: {exc}\n", flush=True)
        return {"error": str(exc)}, {}
    info: dict[str, Any] = {}
    figures: dict[str, dict[str, Any]] = {}
    busway_matched = {sample["name"]: matched for sample, matched in samples}
    for result in by_group.values():
        for peer, body in result.items():
            info[peer] = {"version": body.get("version"), "error": body.get("error")}
            for name, fig in body.get("sets", {}).items():
                _agreement(fig, busway_matched.get(name), name)
                figures.setdefault(name, {})[peer] = fig
    return info, figures


def _agreement(fig: dict[str, Any], busway: list[list[Any]] | None, name: str) -> None:
    """Compare the peer's matches with Busway's on the events both saw, by rule kind."""
    peer = fig.pop("matched", None)
    if peer is None or busway is None:
        return
    missed: Counter[str] = Counter()
    extra: Counter[str] = Counter()
    for theirs, ours in zip(peer, busway, strict=False):
        missed.update(_kind(name, key) for key in set(ours) - set(theirs))
        extra.update(_kind(name, key) for key in set(theirs) - set(ours))
    same = sum(set(theirs) == set(ours) for theirs, ours in zip(peer, busway, strict=False))
    fig["agreement"] = {
        "events": len(peer),
        "same": same,
        "missed_by_peer": dict(missed),
        "extra_in_peer": dict(extra),
    }


def _kind(set_name: str, key: int) -> str:
    if set_name.startswith("size:"):
        return ruleset.RULE_KINDS[key % ruleset.RULES_PER_SOURCE][0]
    return f"{set_name.split(':', 1)[1]}[{key}]"


def attach_peers(results: dict[str, Any], figures: dict[str, dict[str, Any]]) -> None:
    for entry in results["sizes"]:
        entry["peers"] = figures.get(f"size:{entry['rules']}", {})
        entry["busway_vs_peer"] = _speedups(entry["busway"], entry["peers"])
    for entry in results.get("citylots", {}).get("sets", []):
        entry["peers"] = figures.get(f"citylots:{entry['name']}", {})
        entry["busway_vs_peer"] = _speedups(entry["busway"], entry["peers"])


def _speedups(busway: dict[str, Any], peers: dict[str, Any]) -> dict[str, float]:
    if "match" not in busway:
        return {}
    ours = busway["match"]["events_per_s"]
    return {
        name: ours / fig["events_per_s"] for name, fig in peers.items() if "events_per_s" in fig
    }


def machine() -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "orjson": orjson.__version__,
        "git_commit": _git_commit(),
        "busway_matcher_module": _matcher_module(),
        "load_average_at_start": os.getloadavg(),
    }


def _matcher_module() -> str | None:
    """The file the Matcher comes from: a .so means a compiled (mypyc) build was measured."""
    try:
        from busway.patterns import Matcher
    except ImportError:
        return None
    module = sys.modules[Matcher.__module__]
    return module.__file__


def _git_commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
            cwd=Path(__file__).parent,
        )
    except OSError:
        return None
    return done.stdout.strip() or None


def main(argv: list[str] | None = None) -> None:
    settings = parse_args(argv)
    measure, problem = load_measure()
    if problem:
        print(f"*** {problem}")
    results: dict[str, Any] = {
        "benchmark": "match",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed": settings.seed,
        "settings": settings.__dict__,
        "machine": machine(),
        "sizes": [],
    }
    samples = []
    for size in settings.sizes:
        entry, sample = run_size(size, settings, measure)
        results["sizes"].append(entry)
        samples.append(sample)
    results["citylots"], lot_samples = run_citylots(settings, measure)
    if settings.peers:
        budgets = {"size": settings.peer_budget_s, "citylots": settings.lots_peer_budget_s}
        print("[peers] timing moto and LocalStack in benchmarks/.peer-venv", flush=True)
        results["peers"], figures = run_peers(settings, samples + lot_samples, budgets)
        attach_peers(results, figures)
    else:
        results["peers"] = {"error": "not run (--no-peers)"}
    results["machine"]["load_average_at_end"] = os.getloadavg()
    import summary

    text, markdown = summary.render(results)
    print()
    print(text)
    write_results(results, markdown, quick=settings.quick, name=settings.name)


def write_results(results: dict[str, Any], markdown: str, *, quick: bool, name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    stem = f"match-{datetime.now(UTC).date().isoformat()}" + ("-quick" if quick else "")
    stem += f"-{name}" if name else ""
    (RESULTS / f"{stem}.json").write_text(json.dumps(results, indent=1) + "\n")
    (RESULTS / f"{stem}.md").write_text(markdown)
    print(f"\nwrote {RESULTS / stem}.json and .md")


if __name__ == "__main__":
    main()
