"""``busway worker MODULE[:APP]``: run an App's functions for a Busway server."""

from __future__ import annotations

import importlib
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from busway.errors import RemoteError

if TYPE_CHECKING:
    from busway.sdk.app import App


@click.command()
@click.argument("target", metavar="MODULE[:APP]")
@click.option(
    "--endpoint",
    "endpoints",
    multiple=True,
    help="The server (default BUSWAY_ENDPOINT_URL or http://127.0.0.1:4780); repeat it "
    "to serve every node of a PostgreSQL cluster.",
)
@click.option(
    "--setup/--no-setup",
    default=True,
    help="Create the app's rules and targets before serving (default on).",
)
@click.option("--poll", "poll_seconds", type=float, default=5.0, help="Long-poll wait in seconds.")
def worker(target: str, *, endpoints: tuple[str, ...], setup: bool, poll_seconds: float) -> None:
    """Run the functions of the busway.App at MODULE:APP (APP defaults to 'app') in this
    process until SIGINT or SIGTERM. Start as many workers, on as many machines, as needed."""
    from botocore.exceptions import BotoCoreError

    app = load_app(target)
    logging.basicConfig(level=logging.INFO, format="busway worker: %(message)s")
    names = ", ".join(app.functions) or "(none)"
    server = ", ".join(endpoints) or "the default server"
    click.echo(f"busway worker: serving {names} for {server}", err=True)
    try:
        app.run(list(endpoints) or None, setup=setup, poll_seconds=poll_seconds)
    except RemoteError as error:
        raise click.ClickException(str(error)) from None
    except BotoCoreError as error:
        raise click.ClickException(f"cannot set up the app's rules: {error}") from None
    except ValueError as error:
        raise click.UsageError(str(error)) from None


def load_app(target: str) -> App:
    """The object ``MODULE[:APP]`` names, importing MODULE with the working directory on
    the path (as ``python -m`` would)."""
    module_name, _, attribute = target.partition(":")
    if str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise click.UsageError(f"cannot import {module_name!r}: {error}") from None
    from busway.sdk.app import App

    found = getattr(module, attribute or "app", None)
    if not isinstance(found, App):
        raise click.UsageError(f"{target} is not a busway.App")
    return found
