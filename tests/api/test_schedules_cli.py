"""``busway schedules`` against a running server."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from click.testing import CliRunner
from tests.servers import BuswayServer

from busway.cli.main import main


def test_list_show_and_next(busway: BuswayServer) -> None:
    scheduler = busway.client("scheduler")
    bus = busway.client("events").describe_event_bus()["Arn"]
    scheduler.create_schedule(
        Name="morning",
        ScheduleExpression="cron(0 8 ? * MON-FRI *)",
        ScheduleExpressionTimezone="Europe/Amsterdam",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": bus,
            "RoleArn": "arn:aws:iam::000000000000:role/r",
            "EventBridgeParameters": {"DetailType": "Wake", "Source": "clock"},
        },
    )
    runner = CliRunner()
    endpoint = ["--endpoint-url", busway.url]
    listed = runner.invoke(main, ["schedules", "list", *endpoint])
    assert listed.exit_code == 0, listed.output
    assert listed.output == "default/morning  ENABLED  cron(0 8 ? * MON-FRI *)\n"
    shown = runner.invoke(main, ["schedules", "show", "morning", *endpoint])
    assert "ScheduleExpressionTimezone: Europe/Amsterdam" in shown.output
    upcoming = runner.invoke(main, ["schedules", "next", "morning", "--count", "5", *endpoint])
    assert upcoming.exit_code == 0, upcoming.output
    moments = [datetime.fromisoformat(line) for line in upcoming.output.splitlines()]
    assert len(moments) == 5
    assert all((m.hour, m.minute) == (8, 0) and m.isoweekday() <= 5 for m in moments)
    assert {m.utcoffset().total_seconds() for m in moments} <= {3600.0, 7200.0}  # type: ignore[union-attr]


def test_missing_schedule_is_a_clear_error(busway: BuswayServer) -> None:
    result = CliRunner().invoke(main, ["schedules", "show", "nope", "--endpoint-url", busway.url])
    assert result.exit_code == 2
    assert "ResourceNotFoundException: Schedule nope does not exist." in result.output


def test_no_server(tmp_path: Any) -> None:
    result = CliRunner().invoke(main, ["schedules", "list", "--endpoint-url", "http://127.0.0.1:9"])
    assert result.exit_code == 2
    assert "Cannot reach Busway at http://127.0.0.1:9" in result.output
