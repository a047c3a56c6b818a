"""``busway put-event``: publish one event to a running server, as PutEvents does."""

from __future__ import annotations

import click

from busway.cli.argument import read_argument
from busway.cli.remote import bus_option, connect, endpoint_option


@click.command("put-event")
@click.option("--source", required=True, help="The event's source, e.g. 'shop'.")
@click.option("--detail-type", required=True, help="The event's detail-type, e.g. 'OrderPlaced'.")
@click.option(
    "--detail",
    required=True,
    callback=read_argument,
    help="The event's detail: a JSON object as text, @path or @-.",
)
@click.option("--resource", "resources", multiple=True, help="An ARN for 'resources' (repeat).")
@bus_option
@endpoint_option
def put_event(
    *,
    source: str,
    detail_type: str,
    detail: str,
    resources: tuple[str, ...],
    bus: str,
    endpoint_url: str | None,
) -> None:
    """Publish one event and print its id. An event Busway refuses prints AWS's error
    (e.g. 'MalformedDetail: Detail is malformed.') and exits with status 2."""
    with connect(endpoint_url) as client:
        click.echo(client.put_event(source, detail_type, detail, bus=bus, resources=resources))
