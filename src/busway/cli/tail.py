"""``busway tail``: events as a running server accepts them, one line each."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import click
import orjson

from busway import patterns
from busway.cli.argument import read_argument
from busway.config import DEFAULT_PORT
from busway.config import endpoint_url as default_endpoint
from busway.errors import InvalidEventPatternError

ENDPOINT_HELP = f"Busway's URL (env BUSWAY_ENDPOINT_URL; default http://127.0.0.1:{DEFAULT_PORT})."
TOKEN_HELP = "ACCESS_KEY_ID:SECRET_ACCESS_KEY, when the server runs with --auth (env BUSWAY_TOKEN)."
FAILED, INVALID = 1, 2


def read_pattern(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    text = read_argument(ctx, param, value)
    try:
        patterns.parse_pattern(text)
    except InvalidEventPatternError as error:
        click.echo(f"InvalidEventPatternException: {error}", err=True)
        ctx.exit(INVALID)
    return text


@click.command()
@click.option("--bus", default="default", show_default=True, help="The event bus to watch.")
@click.option(
    "--pattern",
    default=None,
    callback=read_pattern,
    help="Only events matching this event pattern (JSON text, @path or @-).",
)
@click.option("--json", "as_json", is_flag=True, help="Print each event as one line of JSON.")
@click.option("--count", type=click.IntRange(1), default=None, help="Stop after COUNT events.")
@click.option("--endpoint-url", default=None, help=ENDPOINT_HELP)
@click.option("--token", envvar="BUSWAY_TOKEN", default=None, help=TOKEN_HELP)
def tail(
    *,
    bus: str,
    pattern: str | None,
    as_json: bool,
    count: int | None,
    endpoint_url: str | None,
    token: str | None,
) -> None:
    """Show events as they are accepted on BUS (on the node you connect to), live.

    Each line is the event's time, source, detail-type and detail; --json prints whole
    events. Press Ctrl-C to stop."""
    from websockets.exceptions import ConnectionClosedError, InvalidStatus
    from websockets.sync.client import connect

    endpoint = default_endpoint(endpoint_url)
    url = tail_url(endpoint, bus=bus, pattern=pattern)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with connect(url, additional_headers=headers, open_timeout=10) as connection:
            filtered = " matching the pattern" if pattern else ""
            click.echo(f"busway: tailing bus {bus}{filtered}; Ctrl-C to stop", err=True)
            for shown, message in enumerate(connection, start=1):
                click.echo(render_event(message, as_json=as_json))
                if count is not None and shown >= count:
                    return
    except InvalidStatus as error:
        stop(f"{error.response.status_code}: {_message_of(bytes(error.response.body or b''))}")
    except ConnectionClosedError as error:
        stop(f"the server closed the connection ({error.rcvd or 'no close frame'})")
    except OSError as error:
        stop(f"no Busway server at {endpoint} ({error})")
    except KeyboardInterrupt:
        return


def tail_url(endpoint: str, *, bus: str, pattern: str | None) -> str:
    """The WebSocket URL that tails ``bus`` (with ``pattern``) on the server at ``endpoint``."""
    parts = urlsplit(endpoint)
    scheme = "wss" if parts.scheme == "https" else "ws"
    query = {"bus": bus, **({"pattern": pattern} if pattern else {})}
    path = parts.path.rstrip("/") + "/ws"
    return urlunsplit((scheme, parts.netloc, path, urlencode(query), ""))


def render_event(message: str | bytes, *, as_json: bool) -> str:
    """One line: ``time  source  detail-type  detail`` (or the whole event as JSON)."""
    try:
        event: Any = orjson.loads(message)
    except orjson.JSONDecodeError:
        event = None
    if not isinstance(event, dict):
        return message if isinstance(message, str) else message.decode("utf-8", "replace")
    if as_json:
        return orjson.dumps(event).decode()
    detail = orjson.dumps(event.get("detail")).decode()
    return f"{event.get('time')}  {event.get('source')}  {event.get('detail-type')}  {detail}"


def _message_of(body: bytes) -> str:
    try:
        return str(orjson.loads(body)["message"])
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return body.decode("utf-8", "replace") or "refused"


def stop(message: str) -> None:
    click.echo(f"busway: {message}", err=True)
    click.get_current_context().exit(FAILED)
