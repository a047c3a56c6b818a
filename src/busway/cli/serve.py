"""``busway serve``: the event bus server."""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path

import click

from busway.config import DEFAULT_PORT, load_settings

# How long a thread may hold the GIL while another waits for it. The SQLite writer thread
# needs the GIL back after every statement of a group commit; with Python's default of
# 5 ms, a busy event loop stretches each commit by up to that much per statement, and
# every caller in the batch waits for it.
GIL_SWITCH_SECONDS = 0.0005


@click.command()
@click.option("--host", default=None, help="Address to bind (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help=f"Port (default {DEFAULT_PORT}).")
@click.option(
    "--db",
    "database_url",
    default=None,
    help="SQLite file or sqlite:/// URL (default: busway.db in the user data directory; "
    "env BUSWAY_DATABASE_URL).",
)
@click.option("--auth", is_flag=True, default=None, help="Require AWS SigV4 signatures.")
@click.option("--config", "config_file", type=click.Path(exists=True, path_type=Path), default=None)
@click.option("--log-level", default=None, help="uvicorn log level (default info).")
def serve(
    *,
    host: str | None,
    port: int | None,
    database_url: str | None,
    auth: bool | None,
    config_file: Path | None,
    log_level: str | None,
) -> None:
    """Run the event bus: AWS's events and sqs APIs on one port."""
    import uvicorn

    from busway.runtime import Runtime

    try:
        settings = load_settings(
            file=config_file,
            host=host,
            port=port,
            database_url=database_url,
            auth=auth,
            log_level=log_level,
        )
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    if not settings.auth and not _is_loopback(settings.host):
        raise click.UsageError(
            f"refusing to bind {settings.host} without --auth: anyone who can reach it "
            "could publish events"
        )
    try:
        runtime = Runtime(settings)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    click.echo(f"busway: serving on {runtime.base_url} (store {settings.database_url})", err=True)
    uvicorn.run(
        runtime.app(),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=False,
        # Busway reads no client address, so X-Forwarded-* need not be rewritten.
        proxy_headers=False,
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
