"""What the commands that talk to a running server share: the ``--endpoint-url`` and
``--json`` options, a ``busway.Client`` that turns the server's refusals into
``Code: message`` on stderr and exit status 2, and plain or JSON output."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

import click
import orjson
from botocore.exceptions import BotoCoreError

from busway.cli.argument import read_argument
from busway.config import DEFAULT_PORT
from busway.errors import RemoteError
from busway.sdk.client import Client

FAILED = 2
ENDPOINT_HELP = f"Busway's URL (env BUSWAY_ENDPOINT_URL; default http://127.0.0.1:{DEFAULT_PORT})."

F = TypeVar("F", bound=Callable[..., Any])


def endpoint_option(command: F) -> F:
    return click.option("--endpoint-url", default=None, help=ENDPOINT_HELP)(command)


def json_option(command: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead.")(command)


def bus_option(command: F) -> F:
    return click.option("--bus", default="default", show_default=True, help="The event bus.")(
        command
    )


def optional_json(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``read_argument`` for an option that may be left out."""
    return None if value is None else read_argument(ctx, param, value)


@contextmanager
def connect(endpoint_url: str | None) -> Iterator[Client]:
    """A client for the server; what it refuses ends the command as the AWS CLI would
    show it (``ResourceNotFoundException: ...``), with exit status 2."""
    client = Client(endpoint_url)
    try:
        yield client
    except RemoteError as error:
        fail(f"{error.code}: {error.message}")
    except BotoCoreError as error:
        fail(f"Cannot reach Busway at {client.endpoint_url}: {error}")
    finally:
        client.close()


def fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    click.get_current_context().exit(FAILED)


def print_items(items: Iterable[Any], *, as_json: bool, line: Callable[[Any], str]) -> None:
    """``items`` as one JSON array with ``--json``, else one ``line(item)`` each."""
    if as_json:
        click.echo(dumps(list(items)))
        return
    for item in items:
        click.echo(line(item))


def dumps(value: Any) -> str:
    """JSON text; datetimes (schedules, receive times) as ISO 8601."""
    return orjson.dumps(value, default=str).decode()
