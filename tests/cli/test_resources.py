"""``busway buses``, ``rules`` and ``targets`` against a running server."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from tests.cli.conftest import Busway, ok
from tests.servers import BuswayServer, free_port

from busway.cli.main import main

RULE_ARN = "arn:aws:events:us-east-1:000000000000:rule/shop/placed"
QUEUE_ARN = "arn:aws:sqs:us-east-1:000000000000:orders"


def test_buses_are_created_listed_and_deleted(cli: Busway) -> None:
    assert ok(cli("buses", "create", "shop")) == (
        "arn:aws:events:us-east-1:000000000000:event-bus/shop\n"
    )
    assert ok(cli("buses", "list")) == "default\nshop\n"
    assert json.loads(ok(cli("buses", "list", "--json"))) == ["default", "shop"]
    again = cli("buses", "create", "shop")
    assert again.exit_code == 2
    assert again.stderr == "ResourceAlreadyExistsException: Event bus shop already exists.\n"
    assert again.stdout == ""
    ok(cli("buses", "delete", "shop"))
    assert ok(cli("buses", "list")) == "default\n"


def test_rules_take_a_pattern_from_a_file_or_a_schedule(cli: Busway, tmp_path: Path) -> None:
    ok(cli("buses", "create", "shop"))
    pattern = tmp_path / "pattern.json"
    pattern.write_text('{"source": ["shop"]}')
    put = ["rules", "put", "placed", "--bus", "shop", "--pattern", f"@{pattern}"]
    assert ok(cli(*put)) == f"{RULE_ARN}\n"
    ok(cli("rules", "put", "tick", "--schedule", "rate(5 minutes)", "--disabled"))
    assert ok(cli("rules", "list", "--bus", "shop")) == 'placed  ENABLED  {"source": ["shop"]}\n'
    assert ok(cli("rules", "list")) == "tick  DISABLED  rate(5 minutes)\n"
    (listed,) = json.loads(ok(cli("rules", "list", "--bus", "shop", "--json")))
    assert (listed["Name"], listed["Arn"], listed["EventBusName"]) == ("placed", RULE_ARN, "shop")


def test_a_rule_needs_a_pattern_or_a_schedule(cli: Busway) -> None:
    done = cli("rules", "put", "empty")
    assert done.exit_code == 2
    assert "give --pattern, --schedule or both" in done.stderr


def test_an_invalid_pattern_is_refused_with_awss_message(cli: Busway) -> None:
    done = cli("rules", "put", "bad", "--pattern", '{"source": "shop"}')
    assert done.exit_code == 2
    assert done.stderr.startswith("InvalidEventPatternException: Event pattern is not valid.")


def test_targets_are_put_listed_and_removed(cli: Busway, busway: BuswayServer) -> None:
    ok(cli("buses", "create", "shop"))
    ok(cli("rules", "put", "placed", "--bus", "shop", "--pattern", '{"source": ["shop"]}'))
    ok(cli("queues", "create", "orders"))
    ok(cli("queues", "create", "failed"))
    dlq = "arn:aws:sqs:us-east-1:000000000000:failed"
    put = ["targets", "put", "placed", "orders", QUEUE_ARN, "--bus", "shop"]
    ok(cli(*put, "--input-path", "$.detail", "--retries", "2", "--dead-letter", dlq))
    ok(cli("targets", "put", "placed", "hook", "http://127.0.0.1:9/x", "--bus", "shop"))
    assert ok(cli("targets", "list", "placed", "--bus", "shop")).splitlines() == [
        "hook  http://127.0.0.1:9/x",
        f"orders  {QUEUE_ARN}",
    ]
    listed = busway.client("events").list_targets_by_rule(Rule="placed", EventBusName="shop")
    (target,) = [t for t in listed["Targets"] if t["Id"] == "orders"]
    assert target["InputPath"] == "$.detail"
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 2
    assert target["DeadLetterConfig"] == {"Arn": dlq}
    ok(cli("targets", "remove", "placed", "hook", "--bus", "shop"))
    assert ok(cli("targets", "list", "placed", "--bus", "shop")) == f"orders  {QUEUE_ARN}\n"


def test_deleting_a_rule_with_targets_needs_force(cli: Busway) -> None:
    ok(cli("rules", "put", "placed", "--pattern", '{"source": ["shop"]}'))
    ok(cli("targets", "put", "placed", "hook", "http://127.0.0.1:9/x"))
    refused = cli("rules", "delete", "placed")
    assert refused.exit_code == 2
    assert refused.stderr == "ValidationException: Rule can't be deleted since it has targets.\n"
    ok(cli("rules", "delete", "placed", "--force"))
    assert ok(cli("rules", "list")) == ""


def test_an_unreachable_server_is_reported() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    done = CliRunner().invoke(main, ["buses", "list", "--endpoint-url", url])
    assert done.exit_code == 2
    assert done.stderr.startswith(f"Cannot reach Busway at {url}")
