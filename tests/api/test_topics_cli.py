"""``busway topics`` against a running server."""

from __future__ import annotations

import json

from click.testing import CliRunner
from tests.servers import BuswayServer, Sink, free_port

from busway.cli.main import main


def test_create_subscribe_publish_and_remove(busway: BuswayServer, sink: Sink) -> None:
    runner = CliRunner()
    endpoint = ["--endpoint-url", busway.url]

    def run(*args: str) -> str:
        done = runner.invoke(main, ["topics", *args, *endpoint])
        assert done.exit_code == 0, done.output
        return done.output

    assert run("create", "alerts") == "arn:aws:sns:us-east-1:000000000000:alerts\n"
    sub = run("subscribe", "alerts", sink.url, "--filter", '{"level": ["high"]}').strip()
    assert run("list") == "alerts  arn:aws:sns:us-east-1:000000000000:alerts\n"
    key = sub.rsplit(":", 1)[1]
    assert run("subscriptions", "alerts") == f'{key}  http  {sink.url}  {{"level": ["high"]}}\n'
    run("publish", "alerts", '{"level": "high", "text": "disk full"}')
    (received,) = sink.wait_for(1)
    assert json.loads(received.body) == {"level": "high", "text": "disk full"}
    run("unsubscribe", "alerts", sub)
    assert run("subscriptions", "alerts") == ""
    run("delete", "alerts")
    assert run("list") == ""


def test_errors_are_reported_with_the_servers_message(busway: BuswayServer) -> None:
    done = CliRunner().invoke(main, ["topics", "delete", "ghost", "--endpoint-url", busway.url])
    assert done.exit_code == 2
    assert "NotFound: Topic ghost does not exist." in done.output


def test_an_unreachable_server_is_reported() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    done = CliRunner().invoke(main, ["topics", "list", "--endpoint-url", url])
    assert done.exit_code == 2
    assert "Cannot reach Busway" in done.output
