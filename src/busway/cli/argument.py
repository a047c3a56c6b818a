"""The argument form shared by commands that take JSON: text as typed, ``@path`` or ``@-``."""

from __future__ import annotations

import sys
from pathlib import Path

import click


def read_argument(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """JSON text as typed; ``@path`` reads the file at path, ``@-`` reads stdin."""
    if not value.startswith("@"):
        return value
    path = value[1:]
    try:
        return read_text(path)
    except OSError as error:
        raise click.BadParameter(f"cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise click.BadParameter(f"cannot read {path}: not UTF-8 text") from None


def read_text(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    return Path(path).read_text(encoding="utf-8")
