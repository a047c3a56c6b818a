"""The example's configuration, from ``CART_*`` environment variables.

Every process of the example (functions worker, email worker, setup) reads the same
variables; the launcher sets them for the processes it starts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ONE_DAY = 86_400


@dataclass(frozen=True)
class Settings:
    endpoint: str
    """Busway's URL (boto3's ``endpoint_url``)."""
    database: Path
    """The example's own SQLite file: orders billed, stock reserved, mails sent."""
    smtp_host: str
    smtp_port: int
    mail_from: str
    reminder_delay: int
    """Seconds from an ItemAdded to its reminder (a day; a few seconds in the test)."""
    billing_failures: int
    """How many times billing fails for each event before it succeeds (fault drill)."""
    mail_visibility: int
    """Seconds a reminder the email worker failed to send stays hidden before a retry."""
    mail_max_receives: int
    """Sends tried per reminder before it goes to the dead-letter queue."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The settings in ``env`` (default: this process's environment)."""
        env = os.environ if env is None else env
        return cls(
            endpoint=env.get("CART_ENDPOINT", "http://127.0.0.1:4780"),
            database=Path(env.get("CART_DB", "cart.db")),
            smtp_host=env.get("CART_SMTP_HOST", "127.0.0.1"),
            smtp_port=int(env.get("CART_SMTP_PORT", "8025")),
            mail_from=env.get("CART_MAIL_FROM", "shop@example.com"),
            reminder_delay=int(env.get("CART_REMINDER_DELAY_SECONDS", str(ONE_DAY))),
            billing_failures=int(env.get("CART_BILLING_FAILURES", "0")),
            mail_visibility=int(env.get("CART_MAIL_VISIBILITY_SECONDS", "30")),
            mail_max_receives=int(env.get("CART_MAIL_MAX_RECEIVES", "5")),
        )


def client(service: str, settings: Settings) -> Any:
    """A boto3 client for Busway: AWS's own SDK, with only ``endpoint_url`` changed."""
    import boto3

    return boto3.client(
        service,
        endpoint_url=settings.endpoint,
        region_name="us-east-1",
        aws_access_key_id="cart",
        aws_secret_access_key="cart",
    )
