"""``busway schedules create`` and ``delete`` against a running server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.cli.conftest import Busway, ok
from tests.servers import BuswayServer

SCHEDULE_ARN = "arn:aws:scheduler:us-east-1:000000000000:schedule/default/"


def test_a_one_time_schedule_fires_into_a_queue(cli: Busway) -> None:
    queue = ok(cli("queues", "create", "reminders")).strip()
    when = (datetime.now(UTC) + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%S")
    create = ["schedules", "create", "reminder", "--expression", f"at({when})"]
    assert ok(cli(*create, "--target", queue, "--input", '{"text": "hi"}')) == (
        f"{SCHEDULE_ARN}reminder\n"
    )
    assert ok(cli("queues", "receive", "reminders", "--wait", "15")) == '{"text": "hi"}\n'


def test_a_bus_target_gets_eventbridge_parameters(cli: Busway, busway: BuswayServer) -> None:
    bus = "arn:aws:events:us-east-1:000000000000:event-bus/default"
    create = ["schedules", "create", "beat", "--expression", "rate(1 minute)", "--target", bus]
    ok(cli(*create, "--detail-type", "Heartbeat", "--source", "clock", "--timezone", "UTC"))
    found = busway.client("scheduler").get_schedule(Name="beat")
    assert found["Target"]["EventBridgeParameters"] == {
        "DetailType": "Heartbeat",
        "Source": "clock",
    }
    assert found["ScheduleExpressionTimezone"] == "UTC"
    assert ok(cli("schedules", "list")) == "default/beat  ENABLED  rate(1 minute)\n"
    ok(cli("schedules", "delete", "beat"))
    assert ok(cli("schedules", "list")) == ""


def test_schedule_errors_are_awss(cli: Busway) -> None:
    queue = "arn:aws:sqs:us-east-1:000000000000:q"
    bad = cli("schedules", "create", "x", "--expression", "rate(0 minutes)", "--target", queue)
    assert (bad.exit_code, bad.stderr) == (
        2,
        "ValidationException: Invalid Schedule Expression rate(0 minutes).\n",
    )
    gone = cli("schedules", "delete", "ghost")
    assert gone.exit_code == 2
    assert gone.stderr.startswith("ResourceNotFoundException: ")
