"""``busway tail`` as a subprocess against a real server."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.servers import BuswayServer, start_busway

SRC = str(Path(__file__).resolve().parents[2] / "src")


def start_tail(server: BuswayServer, *arguments: str, token: str | None = None) -> Any:
    env = {**os.environ, "PYTHONPATH": SRC}
    env.pop("BUSWAY_TOKEN", None)
    if token is not None:
        env["BUSWAY_TOKEN"] = token
    command = [sys.executable, "-m", "busway", "tail", "--endpoint-url", server.url, *arguments]
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.fixture
def tails() -> Iterator[list[Any]]:
    started: list[Any] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate()


def wait_until_tailing(process: Any) -> None:
    """The tail prints this line once its subscription is live."""
    line = process.stderr.readline()
    assert "tailing bus" in line, line + process.stderr.read()


def put(events: Any, source: str, detail: dict[str, Any], *, bus: str = "default") -> None:
    entry = {
        "Source": source,
        "DetailType": "OrderPlaced",
        "Detail": orjson.dumps(detail).decode(),
        "EventBusName": bus,
    }
    assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0


def test_tail_prints_matching_events(events: Any, busway: BuswayServer, tails: list[Any]) -> None:
    events.create_event_bus(Name="orders")
    pattern = '{"source": ["shop"], "detail": {"total": [{"numeric": [">", 10]}]}}'
    process = start_tail(busway, "--bus", "orders", "--pattern", pattern, "--count", "1")
    tails.append(process)
    wait_until_tailing(process)
    put(events, "shop", {"total": 5}, bus="orders")  # fails the pattern
    put(events, "shop", {"total": 50}, bus="default")  # another bus
    put(events, "shop", {"total": 50, "id": "o-1"}, bus="orders")
    out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    (line,) = out.splitlines()
    time, source, detail_type, detail = line.split("  ")
    assert (source, detail_type, orjson.loads(detail)) == (
        "shop",
        "OrderPlaced",
        {"total": 50, "id": "o-1"},
    )
    assert time.endswith("Z")


def test_tail_json_prints_whole_events(events: Any, busway: BuswayServer, tails: list[Any]) -> None:
    process = start_tail(busway, "--json", "--count", "2")
    tails.append(process)
    wait_until_tailing(process)
    put(events, "a", {"n": 1})
    put(events, "b", {"n": 2})
    out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    printed = [orjson.loads(line) for line in out.splitlines()]
    assert sorted(event["source"] for event in printed) == ["a", "b"]
    assert all(event["detail-type"] == "OrderPlaced" and event["id"] for event in printed)


def test_tail_of_a_missing_bus_fails_clearly(busway: BuswayServer, tails: list[Any]) -> None:
    process = start_tail(busway, "--bus", "nope")
    tails.append(process)
    out, err = process.communicate(timeout=20)
    assert (process.returncode, out) == (1, "")
    assert "busway: 404: Event bus nope does not exist." in err


def test_tail_with_authentication(tmp_path: Path, tails: list[Any]) -> None:
    server = start_busway(tmp_path, auth=True, credentials={"AKID": "s3cret"})
    try:
        refused = start_tail(server, token="AKID:nope")
        tails.append(refused)
        _, err = refused.communicate(timeout=20)
        assert refused.returncode == 1
        assert "403: The security token included in the request is invalid." in err
        allowed = start_tail(server, "--count", "1", token="AKID:s3cret")
        tails.append(allowed)
        wait_until_tailing(allowed)
        events = server.client("events", access_key="AKID", secret_key="s3cret")
        put(events, "shop", {"ok": True})
        out, err = allowed.communicate(timeout=20)
        assert allowed.returncode == 0, err
        assert '{"ok":true}' in out
    finally:
        server.stop()
