"""The human-readable summary of a match benchmark run: terminal text and Markdown."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import report as r

PEERS = (("moto", "moto"), ("localstack", "LocalStack"))
PARSE_TARGET = 3.0  # match cost at most 3x the cost of parsing the event's JSON
PEER_TARGET = 1000.0  # Busway at least 1000x the peers at 1,000 rules
RATE_TARGET = 100_000.0  # events/s at 1,000 rules
SCALE_TARGET = 0.5  # throughput at 10,000 rules at least half that at 10
Table = tuple[str, Sequence[str], list[list[str]]]


def render(results: dict[str, Any]) -> tuple[str, str]:
    tables = [busway_table(results), peer_table(results), citylots_table(results)]
    notes = [*header(results), "", *verdicts(results), *peer_notes(results), *errors(results)]
    text = "\n".join(notes) + "\n"
    markdown = "# Pattern-matching benchmark\n\n" + "\n".join(f"- {n}" if n else "" for n in notes)
    for title, headers, rows in tables:
        if rows:
            text += f"\n{title}\n{r.text_table(headers, rows)}\n"
            markdown += f"\n\n## {title}\n\n{r.markdown_table(headers, rows)}\n"
    return text, markdown


def header(results: dict[str, Any]) -> list[str]:
    m, s = results["machine"], results["settings"]
    kind = "quick smoke run" if s["quick"] else "full run"
    return [
        f"{results['created']} ({kind}), seed {results['seed']}, git {m['git_commit'] or '-'}",
        f"{m['implementation']} {m['python']} on {m['platform']}, {m['cpus']} CPUs; "
        f"orjson {m['orjson']}; Matcher from {_module_label(m.get('busway_matcher_module'))}",
        f"load average {_load(m, 'start')} at start, {_load(m, 'end')} at end "
        "(figures are only comparable on an otherwise idle machine)",
        f"Busway timed >= {s['min_seconds']:g} s per size over {s['stream_events']:,} distinct "
        "events (replayed), in rounds paired slice by slice with the parse floor and "
        f"parse-and-match; peers {s['peer_budget_s']:g} s per size on the first 1,000",
    ]


def busway_table(results: dict[str, Any]) -> Table:
    rows = []
    for e in results["sizes"]:
        b = e["busway"]
        rows.append(
            [
                f"{e['rules']:,}",
                f"{e['sources']:,}",
                f"{e['distinct_detail_types']:,}",
                f"{e['avg_event_bytes']:.0f} B",
                r.number(b.get("matches_per_event")),
                r.rate(_eps(b)),
                r.rate(e["parse_floor"]["events_per_s"]),
                r.ratio(e.get("match_to_parse_cost"), 2),
                r.ratio(e.get("pipeline_match_to_parse_cost"), 2),
                r.seconds(b.get("parse_pattern_s")),
                r.seconds(b.get("compile_s")),
                r.size(b.get("matcher_bytes")),
                r.size(b.get("matcher_peak_bytes")),
            ]
        )
    headers = [
        "rules",
        "sources",
        "detail-types",
        "event",
        "matches/event",
        "Busway ev/s",
        "orjson parse ev/s",
        "match/parse",
        "in ingest",
        "parse_pattern all",
        "Matcher()",
        "memory",
        "peak",
    ]
    return "Busway Matcher, mixed rule sets (match only, pre-parsed events)", headers, rows


def peer_table(results: dict[str, Any]) -> Table:
    rows = []
    for e in results["sizes"]:
        row = [f"{e['rules']:,}", r.rate(_eps(e["busway"]))]
        for key, _ in PEERS:
            peer = e.get("peers", {}).get(key)
            speedup = e.get("busway_vs_peer", {}).get(key)
            row += [r.peer_rate(peer), _matches(peer), r.ratio(speedup), _agree(peer)]
        rows.append(row)
    headers = ["rules", "Busway ev/s"]
    for _, label in PEERS:
        headers += [f"{label} ev/s", "matches/ev", f"Busway/{label}", "same matches"]
    has_peers = any(e.get("peers") for e in results["sizes"])
    return (
        "Peers on the same rules and events (their linear scan, matcher only)",
        headers,
        rows if has_peers else [],
    )


def citylots_table(results: dict[str, Any]) -> Table:
    section = results.get("citylots", {})
    floor = section.get("parse_floor", {}).get("events_per_s")
    rows = []
    for s in section.get("sets", []):
        b, eps = s["busway"], _eps(s["busway"])
        row = [
            s["name"],
            r.rate(eps),
            r.ratio(floor / eps if eps else None, 2),
            r.number(b.get("matches_per_event"), 3),
            " ".join(str(n) for n in b.get("matches_per_rule", [])) or b.get("error", "")[:40],
        ]
        for key, _ in PEERS:
            row += [
                r.peer_rate(s.get("peers", {}).get(key)),
                r.ratio(s.get("busway_vs_peer", {}).get(key)),
            ]
        rows.append(row)
    headers = ["rule set (5 rules)", "Busway ev/s", "match/parse", "matches/ev", "matches per rule"]
    for _, label in PEERS:
        headers += [f"{label} ev/s", f"Busway/{label}"]
    title = (
        f"aws/event-ruler citylots2 rule sets over {section.get('lots', 0):,} synthetic lots "
        f"(~{section.get('avg_event_bytes', 0):.0f} B; orjson parse {r.rate(floor)} ev/s)"
    )
    return title, headers, rows


def verdicts(results: dict[str, Any]) -> list[str]:
    lines = []
    for e in results["sizes"]:
        cost = e.get("match_to_parse_cost")
        if cost is not None:
            mark = "meets" if cost <= PARSE_TARGET else "MISSES"
            lines.append(
                f"{e['rules']:,} rules: match/parse cost {cost:.2f}"
                f"{_spread(e['busway'].get('match_to_parse_rounds'))} "
                f"({mark} the <= {PARSE_TARGET:g} target)"
            )
        fresh = e.get("pipeline_match_to_parse_cost")
        if fresh is not None:
            mark = "meets" if fresh <= PARSE_TARGET else "MISSES"
            lines.append(
                f"{e['rules']:,} rules: match/parse cost on freshly parsed events {fresh:.2f}"
                f"{_spread(e['busway'].get('in_ingest_rounds'))} "
                f"({mark} the <= {PARSE_TARGET:g} target)"
            )
        if e["rules"] == 1000:
            rate = _eps(e["busway"])
            if rate is not None:
                mark = "meets" if rate >= RATE_TARGET else "MISSES"
                lines.append(
                    f"1,000 rules: {rate:,.0f} events/s ({mark} the >= {RATE_TARGET:,.0f} target)"
                )
            for key, label in PEERS:
                x = e.get("busway_vs_peer", {}).get(key)
                if x is not None:
                    mark = "meets" if x >= PEER_TARGET else "MISSES"
                    lines.append(
                        f"1,000 rules: Busway/{label} {x:,.0f}x "
                        f"({mark} the >= {PEER_TARGET:,.0f}x target)"
                    )
    return [*lines, *_scaling(results)]


def _scaling(results: dict[str, Any]) -> list[str]:
    """Throughput at 10,000 rules against 10, at one speed of the machine.

    Each size's cost is in units of its own paired parse floor, so their ratio is the
    throughput ratio the host's drift between the two sizes (minutes apart) leaves
    out; the events/s as timed are given beside it.
    """
    by_size = {e["rules"]: e for e in results["sizes"]}
    small, large = by_size.get(10), by_size.get(10_000)
    if not small or not large:
        return []
    small_cost, large_cost = small.get("match_to_parse_cost"), large.get("match_to_parse_cost")
    small_rate, large_rate = _eps(small["busway"]), _eps(large["busway"])
    if not small_cost or not large_cost or not small_rate or not large_rate:
        return []
    scale = small_cost / large_cost
    mark = "meets" if scale >= SCALE_TARGET else "MISSES"
    return [
        f"10,000 rules against 10: throughput {scale:.2f} at the same parse floor "
        f"(match/parse {large_cost:.2f} against {small_cost:.2f}; "
        f"{large_rate / small_rate:.2f} as timed, minutes apart) "
        f"({mark} the >= {SCALE_TARGET:g} target)"
    ]


def _spread(rounds: list[float] | None) -> str:
    """ ", median of N rounds, LOW-HIGH" for a ratio taken round by round."""
    if not rounds:
        return ""
    return f" (median of {len(rounds)} rounds, {min(rounds):.2f}-{max(rounds):.2f})"


def errors(results: dict[str, Any]) -> list[str]:
    entries = [(f"{e['rules']:,} rules", e["busway"]) for e in results["sizes"]]
    entries += [(s["name"], s["busway"]) for s in results.get("citylots", {}).get("sets", [])]
    failed: dict[str, list[str]] = {}
    for name, busway in entries:
        if "error" in busway:
            failed.setdefault(busway["error"], []).append(name)
    return [f"Busway failed on {', '.join(names)}: {error}" for error, names in failed.items()]


def peer_notes(results: dict[str, Any]) -> list[str]:
    info = results.get("peers", {})
    if "error" in info:
        return [f"peers not measured: {info['error'].splitlines()[0]}"]
    lines = [f"{label}: {_version(info.get(key, {}))}" for key, label in PEERS]
    for e in results["sizes"]:
        for key, label in PEERS:
            skipped = e.get("peers", {}).get(key, {}).get("skipped")
            if skipped:
                lines.append(f"{label} skipped at {e['rules']:,} rules: {skipped}")
    return lines + [line for key, label in PEERS if (line := _differences(results, key, label))]


def _differences(results: dict[str, Any], key: str, label: str) -> str:
    """Where a peer's matches differ from Busway's, summed by rule kind over all sets."""
    missed: Counter[str] = Counter()
    extra: Counter[str] = Counter()
    entries = [*results["sizes"], *results.get("citylots", {}).get("sets", [])]
    for entry in entries:
        agreement = entry.get("peers", {}).get(key, {}).get("agreement", {})
        missed.update(agreement.get("missed_by_peer", {}))
        extra.update(agreement.get("extra_in_peer", {}))
    parts = [f"misses {n} of {kind}" for kind, n in missed.most_common()]
    parts += [f"adds {n} to {kind}" for kind, n in extra.most_common()]
    if not parts:
        return ""
    return f"{label} vs Busway, matches that differ (by rule kind): " + "; ".join(parts)


def _load(machine: dict[str, Any], when: str) -> str:
    loads = machine.get(f"load_average_at_{when}")
    return "/".join(f"{x:.1f}" for x in loads) if loads else "-"


def _module_label(path: str | None) -> str:
    if not path:
        return "-"
    where = "site-packages" if "site-packages" in path else "source tree"
    return f"{path.rsplit('/', 1)[-1]} ({where})"


def _version(peer: dict[str, Any]) -> str:
    return f"error: {peer['error']}" if peer.get("error") else f"version {peer.get('version')}"


def _eps(busway: dict[str, Any]) -> float | None:
    match = busway.get("match")
    return match["events_per_s"] if match else None


def _matches(peer: dict[str, Any] | None) -> str:
    return r.number(peer.get("matches_per_event")) if peer else "-"


def _agree(peer: dict[str, Any] | None) -> str:
    agreement = (peer or {}).get("agreement")
    return f"{agreement['same']}/{agreement['events']}" if agreement else "-"
