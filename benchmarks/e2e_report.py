"""The human-readable summary of an end-to-end benchmark run: terminal text and Markdown."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import report as r

INGEST_TARGET = 20_000.0  # durable events/s
STORAGE_SHARE_TARGET = 0.5  # ingest at least half of the storage limit
P99_TARGET = 0.005  # end-to-end at 500 events/s
PG_INGEST_TARGET = 10_000.0  # durable events/s on PostgreSQL
PG_P99_TARGET = 0.025
LABELS = {"busway": "Busway", "ministack": "MiniStack", "moto": "moto"}
LABELS.update({f"busway-pg{n}": f"Busway PG x{n}" for n in range(1, 9)})
Table = tuple[str, Sequence[str], list[list[str]]]


def render(results: dict[str, Any]) -> tuple[str, str]:
    tables = [ingest_table(results), latency_table(results), delivery_table(results)]
    tables.append(storage_table(results))
    notes = [*header(results), "", *verdicts(results), *errors(results)]
    text = "\n".join(notes) + "\n"
    markdown = "# End-to-end benchmark\n\n" + "\n".join(f"- {n}" if n else "" for n in notes)
    for title, headers, rows in tables:
        if rows:
            text += f"\n{title}\n{r.text_table(headers, rows)}\n"
            markdown += f"\n\n## {title}\n\n{r.markdown_table(headers, rows)}\n"
    return text, markdown


def header(results: dict[str, Any]) -> list[str]:
    m, st, w = results["machine"], results["settings"], results["workload"]
    kind = "quick smoke run" if st["quick"] else "full run"
    ceiling = results.get("client_ceiling", {})
    return [
        f"{results['created']} ({kind}), git {m['git_commit'] or '-'}, Busway {st['busway']}",
        f"{m['implementation']} {m['python']} on {m['platform']}, {m['cpus']} CPUs, "
        f"load average {_load(m, 'start')} at start, {_load(m, 'end')} at end",
        f"{w['rules']} rules on one custom bus, each with one target; {w['entries']:,} distinct "
        f"entries (detail ~{w['avg_detail_bytes']:.0f} B), "
        f"{w['deliveries_per_event']:.2f} deliveries per event",
        f"ingest: {st['connections']} keep-alive connections, PutEvents of 10 entries, "
        f"{st['ingest_s']:g} s ({st['warmup_s']:g} s warm-up not counted); latency: open loop, "
        f"{st['rate']:g} requests/s of 10 entries for {st['latency_s']:g} s; requests still "
        "unanswered 10 s after the end are cancelled and counted as unanswered",
        f"load generator ceiling (canned PutEvents answers): "
        f"{r.rate(ceiling.get('events_per_s'))} events/s, "
        f"{r.rate(ceiling.get('requests_per_s'))} requests/s",
    ]


def _load(machine: dict[str, Any], when: str) -> str:
    value = machine.get(f"load_average_at_{when}")
    return "-" if not value else f"{value[0]:.2f}"


def _systems(results: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(LABELS.get(k, k), v) for k, v in results["systems"].items() if "error" not in v]


def ingest_table(results: dict[str, Any]) -> Table:
    rows = []
    for label, sysr in _systems(results):
        i = sysr["ingest"]
        d = sysr.get("durability")
        durable = "-" if d is None else f"{d['stored']:,} / {d['acknowledged']:,}"
        rows.append(
            [
                label,
                r.rate(i["events_per_s"]),
                r.rate(i["requests_per_s"]),
                r.seconds(i["request_p50_s"]),
                r.seconds(i["request_p99_s"]),
                f"{i['errors'] + i['failed_entries']:,}",
                f"{i.get('unanswered', 0):,}",
                durable,
            ]
        )
    headers = ["server", "events/s", "requests/s", "request p50", "p99", "errors", "unanswered"]
    headers.append("stored/acked")
    return "Ingest: PutEvents of 10 entries, closed loop", headers, rows


def latency_table(results: dict[str, Any]) -> Table:
    rows = []
    for label, sysr in _systems(results):
        lat = sysr["latency"]
        rows.append(
            [
                label,
                sysr["target"],
                r.seconds(lat["p50_s"]),
                r.seconds(lat["p99_s"]),
                r.seconds(lat["max_s"]),
                r.seconds(lat["request_p99_s"]),
                f"{lat.get('unanswered', 0):,}",
                f"{lat['deliveries']:,} / {lat['deliveries_expected']:,}",
            ]
        )
    headers = ["server", "target", "p50", "p99", "max", "PutEvents p99", "unanswered"]
    headers.append("delivered/expected")
    title = "End-to-end latency at 500 events/s (PutEvents sent -> target received)"
    return title, headers, rows


def delivery_table(results: dict[str, Any]) -> Table:
    rows = []
    for label, sysr in _systems(results):
        d = sysr["ingest"]["delivery"]
        rows.append(
            [
                label,
                sysr["target"],
                r.rate(d["during_ingest_per_s"]),
                r.rate(d["after_ingest_per_s"]),
                r.rate(d["overall_per_s"]),
                r.seconds(d["drain_s"]),
                f"{d['delivered']:,} / ~{d['expected_approx']:,}",
            ]
        )
    headers = ["server", "target", "during ingest /s", "backlog drain /s", "overall /s"]
    headers += ["drain time", "delivered/expected"]
    return "Deliveries during and after the ingest run", headers, rows


def storage_table(results: dict[str, Any]) -> Table:
    busway = results["systems"].get("busway", {})
    ingest = busway.get("ingest", {}).get("events_per_s")
    rows = []
    for mode, fig in busway.get("storage_limit", {}).items():
        share = ingest / fig["events_per_s"] if ingest else None
        rows.append(
            [
                f"synchronous={mode}",
                f"{fig['events']:,}",
                r.rate(fig["events_per_s"]),
                r.ratio(share, 2),
                f"{fig['avg_body_bytes']:.0f} B",
            ]
        )
    for limit_pg in results.get("storage_limit_postgres", []):
        n = limit_pg["processes"]
        pg = results["systems"].get(f"busway-pg{n}", {}).get("ingest", {}).get("events_per_s")
        rows.append(
            [
                f"PostgreSQL, {n} process{'es' if n > 1 else ''}",
                f"{limit_pg['events']:,}",
                r.rate(limit_pg["events_per_s"]),
                r.ratio(pg / limit_pg["events_per_s"] if pg else None, 2),
                f"{limit_pg['avg_body_bytes']:.0f} B",
            ]
        )
    headers = ["store", "events", "events/s", "Busway ingest / limit", "event body"]
    title = "Storage limit: the same rows appended straight into the store (64 callers x 10)"
    return title, headers, rows


def verdicts(results: dict[str, Any]) -> list[str]:
    return _sqlite_verdicts(results) + _postgres_verdicts(results)


def _postgres_verdicts(results: dict[str, Any]) -> list[str]:
    lines = []
    for name, sysr in results["systems"].items():
        if not name.startswith("busway-pg") or "error" in sysr:
            continue
        label, eps = LABELS.get(name, name), sysr["ingest"]["events_per_s"]
        ok = eps >= PG_INGEST_TARGET
        lines.append(_verdict(f"{label}: ingest {eps:,.0f} events/s", ok, ">= 10,000"))
        p99 = sysr["latency"]["p99_s"]
        if p99 is not None:
            ok = p99 <= PG_P99_TARGET
            lines.append(_verdict(f"{label}: p99 end-to-end {p99 * 1e3:.1f} ms", ok, "<= 25 ms"))
        d = sysr["durability"]
        lines.append(
            f"{label}: {d['stored']:,} events stored, {d['acknowledged']:,} acknowledged "
            f"({'all' if d['all_stored'] else 'NOT all'} stored)"
        )
    return lines


def _sqlite_verdicts(results: dict[str, Any]) -> list[str]:
    busway = results["systems"].get("busway")
    if not busway or "error" in busway:
        return []
    eps = busway["ingest"]["events_per_s"]
    lines = [_verdict(f"ingest {eps:,.0f} events/s", eps >= INGEST_TARGET, ">= 20,000")]
    d = busway["durability"]
    lines.append(
        f"durability: {d['stored']:,} events in the store after stopping, "
        f"{d['acknowledged']:,} acknowledged ({'all' if d['all_stored'] else 'NOT all'} stored)"
    )
    limit = busway.get("storage_limit", {}).get("FULL")
    if limit:
        share = eps / limit["events_per_s"]
        lines.append(_verdict(f"ingest/storage limit {share:.2f}", share >= 0.5, ">= 0.5"))
    p99 = busway["latency"]["p99_s"]
    if p99 is not None:
        lines.append(_verdict(f"p99 end-to-end {p99 * 1e3:.1f} ms", p99 <= P99_TARGET, "<= 5 ms"))
    return lines


def _verdict(what: str, ok: bool, target: str) -> str:
    return f"{what} ({'meets' if ok else 'MISSES'} the {target} target)"


def errors(results: dict[str, Any]) -> list[str]:
    lines = []
    for name, sysr in results["systems"].items():
        if "error" in sysr:
            lines.append(f"{LABELS.get(name, name)}: not measured: {sysr['error']}")
            continue
        for phase in ("latency", "ingest"):
            first = sysr[phase].get("first_error")
            if first:
                lines.append(f"{LABELS.get(name, name)} {phase}: first error: {first[:200]}")
    return lines
