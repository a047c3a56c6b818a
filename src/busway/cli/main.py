"""The ``busway`` command and its subcommands."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import click

from busway import __version__, patterns
from busway.cli.argument import read_argument
from busway.cli.events import put_event
from busway.cli.queues import queues
from busway.cli.render import render_explanation
from busway.cli.resources import buses, rules, targets
from busway.cli.schedules import schedules
from busway.cli.serve import serve
from busway.cli.tail import tail
from busway.cli.topics import topics
from busway.cli.worker import worker
from busway.errors import BuswayError, InvalidEventError, InvalidEventPatternError

MATCH, NO_MATCH, INVALID = 0, 1, 2

ARGUMENT_HELP = """
PATTERN and EVENT are JSON text, @path to read a file, or @- to read stdin.
Exit status: 0 match, 1 no match, 2 invalid pattern or event.
"""


@click.group()
@click.version_option(__version__, prog_name="busway")
def main() -> None:
    """Busway: a self-hosted event bus in the shape of Amazon EventBridge."""


@main.command("test-pattern", epilog=ARGUMENT_HELP)
@click.argument("pattern", callback=read_argument)
@click.argument("event", callback=read_argument)
def test_pattern(pattern: str, event: str) -> None:
    """Say whether EVENT matches PATTERN, as EventBridge's TestEventPattern does."""
    with aws_errors():
        matched = patterns.test_event_pattern(pattern, event)
    click.echo("match" if matched else "no match")
    exit_with(matched)


@main.command(epilog=ARGUMENT_HELP)
@click.argument("pattern", callback=read_argument)
@click.argument("event", callback=read_argument)
def explain(pattern: str, event: str) -> None:
    """Show field by field why EVENT does or does not match PATTERN."""
    with aws_errors():
        explanation = patterns.explain(patterns.parse_pattern(pattern), patterns.parse_event(event))
    click.echo(render_explanation(explanation, color=sys.stdout.isatty()))
    exit_with(explanation.matched)


main.add_command(serve)
main.add_command(schedules)
main.add_command(tail)
main.add_command(topics)
main.add_command(worker)
main.add_command(buses)
main.add_command(rules)
main.add_command(targets)
main.add_command(put_event)
main.add_command(queues)


@contextmanager
def aws_errors() -> Iterator[None]:
    """Report invalid input under the error code the AWS API and CLI would show."""
    try:
        yield
    except InvalidEventPatternError as error:
        fail("InvalidEventPatternException", error)
    except InvalidEventError as error:
        fail("ValidationException", error)


def fail(code: str, error: BuswayError) -> NoReturn:
    click.echo(f"{code}: {error}", err=True)
    click.get_current_context().exit(INVALID)


def exit_with(matched: bool) -> NoReturn:
    click.get_current_context().exit(MATCH if matched else NO_MATCH)
