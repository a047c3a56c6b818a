"""``busway topics``: topics and their subscriptions on a running server."""

from __future__ import annotations

import urllib.error
from collections.abc import Iterator
from contextlib import contextmanager

import click

from busway.cli.argument import read_argument
from busway.cli.remote import endpoint_option, fail
from busway.errors import RemoteError
from busway.sdk.topics import TopicClient


@click.group()
def topics() -> None:
    """Make topics, subscribe endpoints to them, publish."""


@topics.command("list")
@endpoint_option
def list_topics(*, endpoint_url: str | None) -> None:
    """One line per topic: name and ARN."""
    with _client(endpoint_url) as client:
        for topic in client.topics():
            click.echo(f"{topic['name']}  {topic['arn']}")


@topics.command()
@click.argument("name")
@click.option("--description", default=None)
@endpoint_option
def create(*, name: str, description: str | None, endpoint_url: str | None) -> None:
    """Create topic NAME and print its ARN (a rule target)."""
    with _client(endpoint_url) as client:
        click.echo(client.create_topic(name, description=description))


@topics.command()
@click.argument("name")
@endpoint_option
def delete(*, name: str, endpoint_url: str | None) -> None:
    """Delete topic NAME and its subscriptions."""
    with _client(endpoint_url) as client:
        client.delete_topic(name)


@topics.command()
@click.argument("topic")
@click.argument("endpoint")
@click.option("--protocol", default=None, help="email, http, https, sqs, lambda, ...")
@click.option(
    "--filter",
    "filter_pattern",
    default=None,
    callback=lambda ctx, param, value: None if value is None else read_argument(ctx, param, value),
    help="An event pattern (JSON, @path or @-) the message must match.",
)
@endpoint_option
def subscribe(
    *,
    topic: str,
    endpoint: str,
    protocol: str | None,
    filter_pattern: str | None,
    endpoint_url: str | None,
) -> None:
    """Subscribe ENDPOINT (an email address, URL or ARN) to TOPIC; print its ARN."""
    with _client(endpoint_url) as client:
        arn = client.subscribe(topic, endpoint, protocol=protocol, filter_pattern=filter_pattern)
        click.echo(arn)


@topics.command()
@click.argument("topic")
@endpoint_option
def subscriptions(*, topic: str, endpoint_url: str | None) -> None:
    """One line per subscription of TOPIC: id, protocol, endpoint and filter."""
    with _client(endpoint_url) as client:
        for sub in client.subscriptions(topic):
            line = f"{sub['id']}  {sub['protocol']}  {sub['endpoint']}"
            click.echo(f"{line}  {sub['filter_pattern']}" if sub.get("filter_pattern") else line)


@topics.command()
@click.argument("topic")
@click.argument("subscription")
@endpoint_option
def unsubscribe(*, topic: str, subscription: str, endpoint_url: str | None) -> None:
    """Remove SUBSCRIPTION (its id or ARN) from TOPIC."""
    with _client(endpoint_url) as client:
        client.unsubscribe(topic, subscription)


@topics.command()
@click.argument("topic")
@click.argument("message", callback=read_argument)
@click.option("--subject", default=None, help="The subject of email copies.")
@endpoint_option
def publish(*, topic: str, message: str, subject: str | None, endpoint_url: str | None) -> None:
    """Publish MESSAGE (text, @path or @-) to TOPIC; print the message id."""
    with _client(endpoint_url) as client:
        click.echo(client.publish(topic, message, subject=subject))


@contextmanager
def _client(endpoint_url: str | None) -> Iterator[TopicClient]:
    try:
        yield TopicClient(endpoint_url)
    except RemoteError as error:
        fail(f"{error.code}: {error.message}")
    except urllib.error.URLError as error:
        fail(f"Cannot reach Busway: {error.reason}")
