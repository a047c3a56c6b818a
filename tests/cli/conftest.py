from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result
from tests.servers import BuswayServer

from busway.cli.main import main

Busway = Callable[..., Result]


@pytest.fixture
def cli(busway: BuswayServer) -> Busway:
    """``cli("buses", "list")`` runs ``busway buses list`` against the test's server
    (through BUSWAY_ENDPOINT_URL, as a user's shell would) and returns click's result."""

    def run(*args: str, stdin: str | None = None) -> Result:
        return CliRunner(env={"BUSWAY_ENDPOINT_URL": busway.url}).invoke(
            main, list(args), input=stdin
        )

    return run


def ok(result: Result) -> str:
    """What a command that must succeed printed on stdout."""
    assert result.exit_code == 0, result.output
    return result.stdout
