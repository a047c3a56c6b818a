"""``busway queues``: the built-in queues of a running server, by name, as SQS has them.

Queues are named on the command line; ``create`` and ``list`` print the ARN, which is
what a rule or schedule target takes."""

from __future__ import annotations

from typing import Any

import click

from busway.cli.argument import read_argument
from busway.cli.remote import connect, dumps, endpoint_option, json_option, print_items
from busway.sdk.client import Client


@click.group()
def queues() -> None:
    """Create queues, send to them, receive from them."""


@queues.command("create")
@click.argument("name")
@click.option(
    "--attribute",
    "attributes",
    multiple=True,
    metavar="NAME=VALUE",
    help="An SQS attribute, e.g. VisibilityTimeout=60 (repeat).",
)
@endpoint_option
def create_queue(*, name: str, attributes: tuple[str, ...], endpoint_url: str | None) -> None:
    """Create queue NAME (or find it, when its attributes are the same); print its ARN."""
    settings = dict(_attribute(text) for text in attributes)
    with connect(endpoint_url) as client:
        click.echo(client.queue_arn(client.create_queue(name, **settings)))


def _attribute(text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals:
        raise click.BadParameter(f"{text!r} is not NAME=VALUE", param_hint="--attribute")
    return name, value


@queues.command("list")
@json_option
@endpoint_option
def list_queues(*, as_json: bool, endpoint_url: str | None) -> None:
    """One line per queue: name and ARN."""
    with connect(endpoint_url) as client:
        found = [_describe(client, url) for url in client.queues()]
    print_items(found, as_json=as_json, line=lambda q: f"{q['name']}  {q['arn']}")


def _describe(client: Client, url: str) -> dict[str, str]:
    arn = client.queue_arn(url)
    return {"name": arn.rsplit(":", 1)[1], "url": url, "arn": arn}


@queues.command("delete")
@click.argument("name")
@endpoint_option
def delete_queue(*, name: str, endpoint_url: str | None) -> None:
    """Delete queue NAME and its messages."""
    with connect(endpoint_url) as client:
        client.delete_queue(client.queue_url(name))


@queues.command("send")
@click.argument("name")
@click.argument("body", callback=read_argument)
@endpoint_option
def send(*, name: str, body: str, endpoint_url: str | None) -> None:
    """Send BODY (text, @path or @-) to queue NAME; print the message id."""
    with connect(endpoint_url) as client:
        click.echo(client.send_message(client.queue_url(name), body))


@queues.command("receive")
@click.argument("name")
@click.option("--wait", type=click.IntRange(0, 20), default=0, help="Seconds to wait (long poll).")
@click.option(
    "--max",
    "most",
    type=click.IntRange(1, 10),
    default=1,
    show_default=True,
    help="How many at most.",
)
@click.option("--delete", is_flag=True, help="Delete what was received (done with it).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per message instead.")
@endpoint_option
def receive(
    *, name: str, wait: int, most: int, delete: bool, as_json: bool, endpoint_url: str | None
) -> None:
    """Receive up to --max messages from queue NAME, waiting up to --wait seconds for the
    first, and print each body on its own line. Without --delete they come back after
    the queue's visibility timeout, as in SQS; none at all is exit status 1."""
    with connect(endpoint_url) as client:
        url = client.queue_url(name)
        messages = client.receive_messages(url, max_messages=most, wait_seconds=wait)
        for message in messages:
            click.echo(_message_json(message) if as_json else message["Body"])
            if delete:
                client.delete_message(url, message["ReceiptHandle"])
    if not messages:
        click.get_current_context().exit(1)


def _message_json(message: dict[str, Any]) -> str:
    fields = {
        "id": message["MessageId"],
        "body": message["Body"],
        "receipt_handle": message["ReceiptHandle"],
        "attributes": message.get("Attributes", {}),
        "message_attributes": message.get("MessageAttributes", {}),
    }
    return dumps(fields)
