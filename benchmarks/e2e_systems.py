"""Starting the servers of the end-to-end benchmark and giving each its bus, rules and targets.

Every server is a subprocess: Busway under Busway's own .venv, moto and MiniStack under the peer
venvs (``peers.py``), the HTTP sink under .venv. Setup goes through boto3 from .venv, which is
only an HTTP client to them and is not timed.
"""

from __future__ import annotations

import contextlib
import filecmp
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from e2e_workload import BUS, REGION, Workload, rule_name

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BUSWAY_PYTHON = ROOT / ".venv" / "bin" / "python"
TARGET_ID = "sink"


class StartError(RuntimeError):
    pass


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM, then SIGKILL if it has not exited within ``timeout``."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(
    name: str, command: list[str], *, port: int, workdir: Path, env: dict[str, str] | None = None
) -> Server:
    log = workdir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
    server = Server(name, process, port, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StartError(f"{name} exited ({process.returncode}): {_tail(log)}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return server
        time.sleep(0.1)
    server.stop()
    raise StartError(f"{name} did not listen on {port} within 60 s: {_tail(log)}")


def _tail(log: Path) -> str:
    return " | ".join(log.read_text(errors="replace").strip().splitlines()[-3:])[:400]


def start_sink(workdir: Path, mode: str = "sink") -> Server:
    port = free_port()
    command = [str(BUSWAY_PYTHON), str(HERE / "e2e_sink.py"), str(port), mode]
    return start(f"sink-{mode}", command, port=port, workdir=workdir)


def start_busway(
    workdir: Path,
    *,
    db: Path | str,
    source: str,
    name: str = "busway",
    env: dict[str, str] | None = None,
) -> Server:
    """``busway serve`` on a fresh SQLite file (or a PostgreSQL URL): .venv's install
    (``installed``), or the package under ``src`` (the working tree) or under any folder
    holding a ``busway`` package."""
    port = free_port()
    env = {"BUSWAY_DATABASE_URL": "", **(env or {})}
    if source != "installed":
        tree = ROOT / "src" if source == "src" else Path(source)
        overlay = workdir / "overlay"
        env["PYTHONPATH"] = str(overlay if overlay.exists() else src_overlay(workdir, tree))
    command = [str(BUSWAY_PYTHON), "-m", "busway", "serve", "--port", str(port), "--db", str(db)]
    command += ["--log-level", "warning"]
    return start(name, command, port=port, workdir=workdir, env=env)


def src_overlay(workdir: Path, tree: Path) -> Path:
    """A copy of ``tree``/busway with .venv's mypyc-compiled matcher modules wherever their
    source is unchanged, so that a run from another tree matches at the installed speed."""
    installed = next((ROOT / ".venv" / "lib").glob("python*/site-packages/busway"))
    overlay = workdir / "overlay"
    shutil.rmtree(overlay, ignore_errors=True)
    shutil.copytree(tree / "busway", overlay / "busway")
    for compiled in installed.rglob("*.so"):
        relative = compiled.relative_to(installed)
        source = relative.parent / (relative.name.split(".", 1)[0] + ".py")
        ours = overlay / "busway" / source
        if ours.exists() and filecmp.cmp(ours, installed / source, shallow=False):
            shutil.copy2(compiled, overlay / "busway" / relative)
    return overlay


def start_moto(workdir: Path, python: Path) -> Server:
    port = free_port()
    command = [str(python), "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    return start("moto", command, port=port, workdir=workdir)


def start_ministack(workdir: Path, python: Path) -> Server:
    port = free_port()
    env = {"GATEWAY_PORT": str(port), "BIND_HOST": "127.0.0.1", "LOG_LEVEL": "WARNING"}
    return start("ministack", [str(python), "-m", "ministack"], port=port, workdir=workdir, env=env)


def client(service: str, server: Server) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        service,
        endpoint_url=server.url,
        region_name=REGION,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(retries={"max_attempts": 1}),
    )


def create_rules(server: Server, workload: Workload, target: dict[str, Any]) -> None:
    """One custom bus, and every rule of ``workload`` with ``target`` as its only target."""
    events = client("events", server)
    events.create_event_bus(Name=BUS)
    for i, text in enumerate(workload.rules):
        events.put_rule(Name=rule_name(i), EventBusName=BUS, EventPattern=text)
        answer = events.put_targets(
            Rule=rule_name(i), EventBusName=BUS, Targets=[{"Id": TARGET_ID, **target}]
        )
        if answer.get("FailedEntryCount"):
            raise StartError(f"{server.name} refused the target: {answer['FailedEntries']}")


def http_target(server: Server, sink: Server) -> dict[str, Any]:
    """A plain URL target for Busway; an API destination for the peers, which need one."""
    if server.name.startswith("busway"):
        return {"Arn": f"{sink.url}/events"}
    events = client("events", server)
    connection = events.create_connection(
        Name="sink",
        AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "k"}},
    )
    destination = events.create_api_destination(
        Name="sink",
        ConnectionArn=connection["ConnectionArn"],
        InvocationEndpoint=f"{sink.url}/events",
        HttpMethod="POST",
    )
    role = "arn:aws:iam::123456789012:role/bench"
    return {"Arn": destination["ApiDestinationArn"], "RoleArn": role}


def queue_target(server: Server) -> tuple[dict[str, Any], str]:
    """A queue on ``server`` as the target; returns the target and the queue's URL."""
    sqs = client("sqs", server)
    url = sqs.create_queue(QueueName="sink")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return {"Arn": arn["QueueArn"]}, url


@contextlib.contextmanager
def running(server: Server) -> Iterator[Server]:
    try:
        yield server
    finally:
        server.stop()


def python_of(venv: Path) -> Path:
    return venv / "bin" / "python"


def describe_python() -> str:
    return f"{sys.implementation.name} {sys.version.split()[0]}"
