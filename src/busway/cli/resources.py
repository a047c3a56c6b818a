"""``busway buses``, ``busway rules`` and ``busway targets``: EventBridge's resources on a
running server, as ``aws events`` manages them, one item per line (or ``--json``)."""

from __future__ import annotations

from typing import Any

import click

from busway.cli.remote import (
    bus_option,
    connect,
    endpoint_option,
    json_option,
    optional_json,
    print_items,
)


@click.group()
def buses() -> None:
    """Create, list and delete event buses."""


@buses.command("create")
@click.argument("name")
@click.option("--description", default=None)
@endpoint_option
def create_bus(*, name: str, description: str | None, endpoint_url: str | None) -> None:
    """Create event bus NAME and print its ARN."""
    with connect(endpoint_url) as client:
        click.echo(client.create_bus(name, description=description))


@buses.command("list")
@json_option
@endpoint_option
def list_buses(*, as_json: bool, endpoint_url: str | None) -> None:
    """One line per event bus: its name."""
    with connect(endpoint_url) as client:
        print_items(client.buses(), as_json=as_json, line=str)


@buses.command("delete")
@click.argument("name")
@endpoint_option
def delete_bus(*, name: str, endpoint_url: str | None) -> None:
    """Delete event bus NAME (its rules must be deleted first, as in AWS)."""
    with connect(endpoint_url) as client:
        client.delete_bus(name)


@click.group()
def rules() -> None:
    """Put, list and delete rules."""


@rules.command("put")
@click.argument("name")
@click.option(
    "--pattern",
    callback=optional_json,
    help="The event pattern: JSON text, @path or @-.",
)
@click.option("--schedule", default=None, help="A ScheduleExpression: rate(...) or cron(...).")
@click.option("--disabled", is_flag=True, help="Create the rule disabled.")
@click.option("--description", default=None)
@bus_option
@endpoint_option
def put_rule(
    *,
    name: str,
    pattern: str | None,
    schedule: str | None,
    disabled: bool,
    description: str | None,
    bus: str,
    endpoint_url: str | None,
) -> None:
    """Create or replace rule NAME (a pattern, a schedule or both); print its ARN."""
    if pattern is None and schedule is None:
        raise click.UsageError("give --pattern, --schedule or both")
    with connect(endpoint_url) as client:
        arn = client.put_rule(
            name,
            pattern,
            bus=bus,
            schedule=schedule,
            enabled=not disabled,
            description=description,
        )
    click.echo(arn)


@rules.command("list")
@bus_option
@json_option
@endpoint_option
def list_rules(*, bus: str, as_json: bool, endpoint_url: str | None) -> None:
    """One line per rule of the bus: name, state, and its pattern or schedule."""
    with connect(endpoint_url) as client:
        print_items(client.rules(bus=bus), as_json=as_json, line=_rule_line)


def _rule_line(rule: dict[str, Any]) -> str:
    what = rule.get("EventPattern") or rule.get("ScheduleExpression") or ""
    return f"{rule['Name']}  {rule.get('State', '')}  {what}"


@rules.command("delete")
@click.argument("name")
@click.option("--force", is_flag=True, help="Remove the rule's targets first.")
@bus_option
@endpoint_option
def delete_rule(*, name: str, force: bool, bus: str, endpoint_url: str | None) -> None:
    """Delete rule NAME (with --force, even while it has targets)."""
    with connect(endpoint_url) as client:
        client.delete_rule(name, bus=bus, force=force)


@click.group()
def targets() -> None:
    """Put, list and remove the targets of a rule."""


@targets.command("put")
@click.argument("rule")
@click.argument("target_id", metavar="ID")
@click.argument("arn")
@click.option("--input", "input_text", callback=optional_json, help="Send this JSON instead.")
@click.option("--input-path", default=None, help="Send only this part, e.g. '$.detail'.")
@click.option(
    "--retries", type=click.IntRange(0, 185), default=None, help="Retries after a failed send."
)
@click.option(
    "--max-age", type=click.IntRange(60, 86_400), default=None, help="Drop events this old (s)."
)
@click.option("--dead-letter", default=None, help="The ARN of a queue for what fails.")
@bus_option
@endpoint_option
def put_target(
    *,
    rule: str,
    target_id: str,
    arn: str,
    input_text: str | None,
    input_path: str | None,
    retries: int | None,
    max_age: int | None,
    dead_letter: str | None,
    bus: str,
    endpoint_url: str | None,
) -> None:
    """Add or replace target ID of RULE: ARN is a queue, a function, a bus, a topic or
    an http(s):// URL."""
    settings: dict[str, Any] = {}
    if input_text is not None:
        settings["Input"] = input_text
    if input_path is not None:
        settings["InputPath"] = input_path
    if retries is not None or max_age is not None:
        policy = {"MaximumRetryAttempts": retries, "MaximumEventAgeInSeconds": max_age}
        settings["RetryPolicy"] = {k: v for k, v in policy.items() if v is not None}
    if dead_letter is not None:
        settings["DeadLetterConfig"] = {"Arn": dead_letter}
    with connect(endpoint_url) as client:
        client.put_target(rule, target_id, arn, bus=bus, **settings)


@targets.command("list")
@click.argument("rule")
@bus_option
@json_option
@endpoint_option
def list_targets(*, rule: str, bus: str, as_json: bool, endpoint_url: str | None) -> None:
    """One line per target of RULE: id and ARN."""
    with connect(endpoint_url) as client:
        found = client.targets(rule, bus=bus)
    print_items(found, as_json=as_json, line=lambda t: f"{t['Id']}  {t['Arn']}")


@targets.command("remove")
@click.argument("rule")
@click.argument("target_ids", metavar="ID...", nargs=-1, required=True)
@bus_option
@endpoint_option
def remove_targets(
    *, rule: str, target_ids: tuple[str, ...], bus: str, endpoint_url: str | None
) -> None:
    """Remove targets ID... from RULE."""
    with connect(endpoint_url) as client:
        client.remove_targets(rule, target_ids, bus=bus)
