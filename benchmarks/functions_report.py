"""The function-target benchmark's Markdown report (``functions.py`` writes it)."""

from __future__ import annotations

from typing import Any


def render(document: dict[str, Any], *, fanout: int) -> str:
    """The whole report: how it was measured, then one table per phase."""
    lines = _heading(document, fanout)
    lines += _throughput(document["runs"])
    lines += _sustained(document["runs"], document["settings"], fanout)
    lines += _latency(document["runs"])
    return "\n".join(lines) + "\n"


def _heading(document: dict[str, Any], fanout: int) -> list[str]:
    start, end, settings = document["machine"], document["machine_after"], document["settings"]
    return [
        "# Function targets: PutEvents -> busway worker -> Python handler",
        "",
        f"- {document['time']}; CPython {start['python']} on {start['platform']}, "
        f"{start['cpus']} CPUs shared by the server, the workers and this load generator; "
        f"load average {start['load_average'][0]} at start, {end['load_average'][0]} at end",
        f"- throughput: closed loop, {settings['connections']} connections, PutEvents of 10, "
        f"{settings['duration']} s; each event fans out to {fanout} invocations of one "
        "function (a plain sync handler); the backlog left at the end is drained and timed",
        f"- latency: open loop, {settings['rate']} events/s for {settings['latency_duration']} s "
        "after a 2 s warm-up, one invocation per event, PutEvents sent -> handler started",
        "- targets: >= 5,000 invocations/s with two workers; p99 < 20 ms at 500 events/s",
        "",
    ]


def _throughput(runs: list[dict[str, Any]]) -> list[str]:
    lines = [
        "Throughput: closed loop (the server saturated by ingest):",
        "",
        "| workers | ingest events/s | invocations/s during load | draining backlog "
        "| overall | all delivered | calls per worker |",
        "|---:|---:|---:|---:|---:|---|---|",
    ]
    for run in runs:
        lines.append(
            f"| {run['workers']} | {run['ingest_events_per_s']:,.0f} "
            f"| {run['invocations_per_s_during_load']:,.0f} "
            f"| {run['invocations_per_s_draining_backlog']:,.0f} "
            f"| {run['invocations_per_s_overall']:,.0f} "
            f"| {run['invocations_heard']:,} / {run['invocations_expected']:,} "
            f"| {', '.join(f'{n:,}' for n in run['calls_per_worker'])} |"
        )
    return lines


def _sustained(runs: list[dict[str, Any]], settings: dict[str, Any], fanout: int) -> list[str]:
    lines = [
        "",
        f"Sustained: open loop at {settings['sustain_rate']:,} load events/s "
        f"({settings['sustain_rate'] * fanout:,} invocations/s offered) for "
        f"{settings['duration']} s; latency is PutEvents sent -> handler started.",
        "",
        "| workers | offered/s | delivered/s | all delivered | lag at end | p50 | p99 "
        "| PutEvents answer p99 |",
        "|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for run in runs:
        lines.append(
            f"| {run['workers']} | {run['sustained_offered_per_s']:,} "
            f"| {run['sustained_per_s']:,.0f} | {run['sustained_all_heard']} "
            f"| {run['sustained_lag_s'] * 1000:,.0f} ms | {run['sustained_p50_ms']:.1f} ms "
            f"| {run['sustained_p99_ms']:.1f} ms | {run['sustained_put_events_p99_ms']:.1f} ms |"
        )
    return lines


def _latency(runs: list[dict[str, Any]]) -> list[str]:
    lines = [
        "",
        "Latency at the target rate:",
        "",
        "| workers | handler p50 | p99 | max | PutEvents answer p50 | p99 | all delivered |",
        "|---:|---:|---:|---:|---:|---:|---|",
    ]
    for run in runs:
        lines.append(
            f"| {run['workers']} | {run['p50_ms']:.1f} ms | {run['p99_ms']:.1f} ms "
            f"| {run['max_ms']:.1f} ms | {run['put_events_p50_ms']:.1f} ms "
            f"| {run['put_events_p99_ms']:.1f} ms "
            f"| {run['latency_heard']:,} / {run['latency_events']:,} |"
        )
    return lines
