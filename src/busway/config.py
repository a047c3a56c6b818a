"""Settings: command-line flags over ``BUSWAY_*`` environment variables over an optional
TOML file over defaults."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

DEFAULT_PORT = 4780


def endpoint_url(given: str | None = None) -> str:
    """The server a client talks to: ``given``, else ``BUSWAY_ENDPOINT_URL``, else this
    machine at the default port."""
    return given or os.environ.get("BUSWAY_ENDPOINT_URL") or f"http://127.0.0.1:{DEFAULT_PORT}"


def client_credentials(
    access_key_id: str | None = None, secret_access_key: str | None = None
) -> tuple[str, str]:
    """The key pair a client signs with: as given, else ``AWS_ACCESS_KEY_ID`` and
    ``AWS_SECRET_ACCESS_KEY``, else a placeholder (a server without ``--auth`` accepts
    any)."""
    return (
        access_key_id or os.environ.get("AWS_ACCESS_KEY_ID", "busway"),
        secret_access_key or os.environ.get("AWS_SECRET_ACCESS_KEY", "busway"),
    )


def default_database_url() -> str:
    return f"sqlite:///{Path(user_data_dir('busway')) / 'busway.db'}"


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    database_url: str = field(default_factory=default_database_url)
    account_id: str = "000000000000"
    region: str = "us-east-1"
    auth: bool = False
    credentials: Mapping[str, str] = field(default_factory=dict)
    webhook_secret: str | None = None
    egress_allow: tuple[str, ...] = ()
    egress_deny: tuple[str, ...] = ()
    max_event_bytes: int = 1_048_576
    # What fires for occurrences that fell due while no server ran: once, all or skip.
    missed_schedules: str = "once"
    # How long accepted events stay in the log after nothing needs them any more.
    event_retention_hours: int = 24
    # This node's name in delivery leases (nodes sharing PostgreSQL need distinct names).
    node_name: str | None = None
    # How long a claimed delivery stays with its node: if the node dies, other nodes
    # retry its deliveries this long after they were claimed.
    delivery_lease_seconds: int = 120
    # PostgreSQL: NOTIFY/LISTEN wake other nodes at once (queue arrivals, rule and
    # schedule changes). Off: polling only (every second), e.g. behind PgBouncer in
    # transaction mode, where LISTEN cannot work.
    postgres_notify: bool = True
    # HTTP ingress routes, as [[ingress]] tables in the config file (busway.api.ingress).
    ingress: tuple[Mapping[str, Any], ...] = ()
    # HTTP targets are sent from a child process (auto: when there are two CPUs or more),
    # so the server's process keeps its core for ingest.
    http_process: str = "auto"
    log_level: str = "info"
    # The SMTP server that email subscriptions of topics go out through (no host: email
    # deliveries fail until one is set). smtp_security: none, starttls or tls.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "busway@localhost"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_security: str = "none"

    @property
    def http_in_child(self) -> bool:
        """Whether HTTP targets are sent from a child process (``http_process``)."""
        if self.http_process == "auto":
            return (os.cpu_count() or 1) >= 2
        return _coerce(False, self.http_process)  # type: ignore[no-any-return]

    @property
    def sqlite_path(self) -> str:
        """The file of a ``sqlite:///`` URL (or a plain path)."""
        url = self.database_url
        return url.removeprefix("sqlite:///") if url.startswith("sqlite:") else url


_ENV = {
    "BUSWAY_HOST": "host",
    "BUSWAY_PORT": "port",
    "BUSWAY_DATABASE_URL": "database_url",
    "BUSWAY_ACCOUNT_ID": "account_id",
    "BUSWAY_REGION": "region",
    "BUSWAY_WEBHOOK_SECRET": "webhook_secret",
    "BUSWAY_LOG_LEVEL": "log_level",
    "BUSWAY_EGRESS_ALLOW": "egress_allow",
    "BUSWAY_EGRESS_DENY": "egress_deny",
    "BUSWAY_MAX_EVENT_BYTES": "max_event_bytes",
    "BUSWAY_MISSED_SCHEDULES": "missed_schedules",
    "BUSWAY_EVENT_RETENTION_HOURS": "event_retention_hours",
    "BUSWAY_NODE_NAME": "node_name",
    "BUSWAY_DELIVERY_LEASE_SECONDS": "delivery_lease_seconds",
    "BUSWAY_POSTGRES_NOTIFY": "postgres_notify",
    "BUSWAY_SMTP_HOST": "smtp_host",
    "BUSWAY_SMTP_PORT": "smtp_port",
    "BUSWAY_SMTP_FROM": "smtp_from",
    "BUSWAY_SMTP_USERNAME": "smtp_username",
    "BUSWAY_SMTP_PASSWORD": "smtp_password",
    "BUSWAY_SMTP_SECURITY": "smtp_security",
    "BUSWAY_HTTP_PROCESS": "http_process",
}


def load_settings(
    *, file: Path | None = None, env: Mapping[str, str] | None = None, **flags: Any
) -> Settings:
    """Defaults, then the TOML ``file``, then the environment, then non-None ``flags``."""
    settings = Settings()
    if file is not None:
        settings = _apply(settings, _from_file(file))
    settings = _apply(settings, _from_env(os.environ if env is None else env))
    settings = _apply(settings, {k: v for k, v in flags.items() if v is not None})
    if settings.auth and not settings.credentials:
        raise ValueError(
            "--auth needs credentials: set BUSWAY_ACCESS_KEY_ID and BUSWAY_SECRET_ACCESS_KEY "
            "or list them under [credentials] in the config file"
        )
    return settings


def _apply(settings: Settings, values: Mapping[str, Any]) -> Settings:
    known = {f.name: f for f in fields(Settings)}
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            raise ValueError(f"unknown setting {key!r}")
        default = getattr(Settings(), key)
        changes[key] = _coerce(default, value)
    return replace(settings, **changes)


def _coerce(default: Any, value: Any) -> Any:
    if isinstance(default, bool):
        return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
    if isinstance(default, int):
        return int(value)
    if isinstance(default, tuple):
        return tuple(value.split(",")) if isinstance(value, str) else tuple(value)
    return value


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {name: env[key] for key, name in _ENV.items() if env.get(key)}
    if env.get("BUSWAY_ACCESS_KEY_ID") and env.get("BUSWAY_SECRET_ACCESS_KEY"):
        values["credentials"] = {env["BUSWAY_ACCESS_KEY_ID"]: env["BUSWAY_SECRET_ACCESS_KEY"]}
    return values


def _from_file(path: Path) -> dict[str, Any]:
    data = tomllib.loads(path.read_text())
    values = {k.replace("-", "_"): v for k, v in data.items() if k != "credentials"}
    if "credentials" in data:
        values["credentials"] = dict(data["credentials"])
    return values
