"""``busway schedules``: look at a running server's schedules."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import click
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.session import get_session

from busway.cli.remote import connect, endpoint_option, fail, optional_json
from busway.config import client_credentials
from busway.config import endpoint_url as default_endpoint
from busway.schedule import occurrences, parse_expression


def scheduler_client(endpoint: str | None) -> Any:
    key, secret = client_credentials()
    return get_session().create_client(
        "scheduler",
        endpoint_url=default_endpoint(endpoint),
        region_name=os.environ.get("AWS_REGION", "us-east-1"),
        aws_access_key_id=key,
        aws_secret_access_key=secret,
    )


@click.group()
def schedules() -> None:
    """Create, list, show and delete schedules; say when one fires next."""


@schedules.command("list")
@click.option("--group", default=None, help="Only this schedule group.")
@endpoint_option
def list_schedules(*, group: str | None, endpoint_url: str | None) -> None:
    """One line per schedule: group, name, state and expression."""
    client = scheduler_client(endpoint_url)
    arguments = {"GroupName": group} if group else {}
    with _server_errors():
        for page in client.get_paginator("list_schedules").paginate(**arguments):
            for summary in page["Schedules"]:
                found = client.get_schedule(Name=summary["Name"], GroupName=summary["GroupName"])
                click.echo(
                    f"{summary['GroupName']}/{summary['Name']}  {summary['State']}  "
                    f"{found['ScheduleExpression']}"
                )


@schedules.command()
@click.argument("name")
@click.option("--group", default="default", show_default=True)
@endpoint_option
def show(*, name: str, group: str, endpoint_url: str | None) -> None:
    """Every setting of schedule NAME."""
    with _server_errors():
        found = scheduler_client(endpoint_url).get_schedule(Name=name, GroupName=group)
    for key, value in found.items():
        if key != "ResponseMetadata":
            click.echo(f"{key}: {value}")


@schedules.command("next")
@click.argument("name")
@click.option("--group", default="default", show_default=True)
@click.option("--count", default=10, show_default=True, type=click.IntRange(1, 1000))
@endpoint_option
def next_occurrences(*, name: str, group: str, count: int, endpoint_url: str | None) -> None:
    """The next COUNT occurrences of schedule NAME, in its own time zone."""
    with _server_errors():
        found = scheduler_client(endpoint_url).get_schedule(Name=name, GroupName=group)
    zone = found.get("ScheduleExpressionTimezone") or "UTC"
    upcoming = occurrences(
        parse_expression(found["ScheduleExpression"]),
        after=datetime.now(UTC),
        count=count,
        timezone=zone,
        start=found.get("StartDate"),
        end=found.get("EndDate"),
        anchor=found.get("StartDate") or found.get("CreationDate"),
    )
    for moment in upcoming:
        click.echo(moment.astimezone(ZoneInfo(zone)).isoformat())
    if not upcoming:
        click.echo("no further occurrences", err=True)


@schedules.command("create")
@click.argument("name")
@click.option(
    "--expression", required=True, help="at(yyyy-mm-ddThh:mm:ss), rate(...) or cron(...)."
)
@click.option("--target", "target_arn", required=True, help="A queue, bus, topic or function ARN.")
@click.option("--input", "input_text", callback=optional_json, help="What the target gets (JSON).")
@click.option("--detail-type", default=None, help="For a bus target: the event's detail-type.")
@click.option("--source", default=None, help="For a bus target: the event's source.")
@click.option("--timezone", default=None, help="An IANA time zone for at() and cron().")
@click.option("--group", default="default", show_default=True)
@click.option("--delete-after-completion", is_flag=True, help="Delete it once it has fired.")
@endpoint_option
def create(
    *,
    name: str,
    expression: str,
    target_arn: str,
    input_text: str | None,
    detail_type: str | None,
    source: str | None,
    timezone: str | None,
    group: str,
    delete_after_completion: bool,
    endpoint_url: str | None,
) -> None:
    """Create schedule NAME, firing at EXPRESSION to --target; print its ARN."""
    target: dict[str, Any] = {"Arn": target_arn}
    if input_text is not None:
        target["Input"] = input_text
    if detail_type is not None or source is not None:
        target["EventBridgeParameters"] = {
            "DetailType": detail_type or "Scheduled Event",
            "Source": source or "busway.scheduler",
        }
    with connect(endpoint_url) as client:
        arn = client.create_schedule(
            name,
            expression,
            target,
            group=group,
            timezone=timezone,
            delete_after_completion=delete_after_completion,
        )
    click.echo(arn)


@schedules.command("delete")
@click.argument("name")
@click.option("--group", default="default", show_default=True)
@endpoint_option
def delete(*, name: str, group: str, endpoint_url: str | None) -> None:
    """Delete schedule NAME."""
    with connect(endpoint_url) as client:
        client.delete_schedule(name, group=group)


@contextmanager
def _server_errors() -> Iterator[None]:
    """The server's error, or a missing server, as ``remote.connect`` reports them."""
    try:
        yield
    except ClientError as error:
        details = error.response["Error"]
        fail(f"{details['Code']}: {details['Message']}")
    except EndpointConnectionError as error:
        fail(f"Cannot reach Busway at {error.kwargs.get('endpoint_url')}: {error}")
