"""A PostgreSQL cluster of the test's own, in a temporary folder on a free port, that the
test may stop and restart at will (the machine's server is shared by other tests).

Made with initdb and pg_ctl. initdb refuses to run as root, so under root the cluster
belongs to the ``postgres`` user. Tests that need one skip when initdb or that user is
missing, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.servers import free_port

_BINARIES = ("/usr/local/bin", "/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin")
_BINARIES += ("/usr/lib/postgresql/15/bin",)


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for folder in _BINARIES:
        candidate = Path(folder) / name
        if candidate.exists():
            return str(candidate)
    return None


@dataclass
class Cluster:
    folder: Path
    port: int
    user: str | None  # the OS user the server runs as; None: this process's

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def pg_ctl(self, *args: str) -> None:
        command = [str(_binary("pg_ctl")), "-D", str(self.data), *args]
        subprocess.run(command, check=True, capture_output=True, user=self.user, timeout=60)

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c max_connections=100 -c shared_buffers=32MB"
        )
        self.pg_ctl("-o", options, "-l", str(self.folder / "server.log"), "-w", "start")

    def crash(self) -> None:
        """Stop at once, as a crash would: no checkpoint, connections cut; the next
        start replays the WAL."""
        self.pg_ctl("-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        self.pg_ctl("-m", "fast", "-w", "stop")


def _server_user() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        _unusable("running as root, and there is no postgres user to run initdb as")
    return "postgres"


def _unusable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"cannot make a PostgreSQL cluster: {reason} (required when CI=true)")
    pytest.skip(f"cannot make a PostgreSQL cluster: {reason}")


@contextlib.contextmanager
def temporary_cluster() -> Iterator[Cluster]:
    """A running cluster with trust authentication for ``postgres`` on 127.0.0.1;
    stopped and deleted afterwards."""
    initdb = _binary("initdb")
    if initdb is None or _binary("pg_ctl") is None:
        _unusable("initdb/pg_ctl not found")
    user = _server_user()
    folder = Path(tempfile.mkdtemp(prefix="busway-pg-"))
    if user is not None:
        shutil.chown(folder, user=user)
    cluster = Cluster(folder, free_port(), user)
    try:
        options = ["-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]
        subprocess.run(
            [str(initdb), "-D", str(cluster.data), *options],
            check=True,
            capture_output=True,
            user=user,
            timeout=120,
        )
        cluster.start()
        yield cluster
    finally:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            cluster.pg_ctl("-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)
