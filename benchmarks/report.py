"""Tables of benchmark figures, as aligned text for the terminal and as Markdown."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Row = Sequence[str]


def text_table(headers: Row, rows: Sequence[Row]) -> str:
    widths = [max(len(r[i]) for r in (headers, *rows)) for i in range(len(headers))]
    lines = [_line(headers, widths), "  ".join("-" * w for w in widths)]
    lines += [_line(row, widths) for row in rows]
    return "\n".join(lines)


def _line(cells: Row, widths: list[int]) -> str:
    first = cells[0].ljust(widths[0])
    rest = (c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))
    return "  ".join((first, *rest)).rstrip()


def markdown_table(headers: Row, rows: Sequence[Row]) -> str:
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join(["---", *["---:"] * (len(headers) - 1)]) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def rate(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 1e-3:
        return f"{value * 1e6:.0f} µs"
    return f"{value * 1e3:,.1f} ms" if value < 1 else f"{value:,.2f} s"


def size(value: float | None) -> str:
    if value is None:
        return "-"
    for unit in ("B", "KiB", "MiB"):
        if abs(value) < 1024 or unit == "MiB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def ratio(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}x"


def number(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def peer_rate(peer: dict[str, Any] | None) -> str:
    if not peer:
        return "-"
    if "skipped" in peer:
        return "skipped"
    if "error" in peer:
        return "error"
    return rate(peer["events_per_s"])
