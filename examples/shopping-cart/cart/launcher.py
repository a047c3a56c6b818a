"""Start the whole shopping cart: ``python -m cart.launcher`` (what ``run`` calls).

It starts, each as its own process:

1. a mail catcher that prints mails (only when no SMTP host is given);
2. ``busway serve --config busway.toml`` (the bus, the queues, the scheduler and the
   ``POST /cart/items`` ingress route);
3. ``busway worker cart.functions:app`` (billing, warehouse, confirmation mail,
   reminder scheduling);
4. the email worker, ``python -m cart.mailer``;

after creating the reminders queue and rule (cart/setup.py), and stops them all on
Ctrl-C. The end-to-end test starts the example through ``start`` too.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from cart.settings import Settings, client
from cart.setup import set_up

EXAMPLE = Path(__file__).resolve().parent.parent


@dataclass
class Options:
    """How to run the example. ``smtp_host`` None starts the mail catcher on
    ``smtp_port``; ``output`` None lets the processes print to this terminal."""

    port: int = 4780
    data: Path = field(default_factory=lambda: EXAMPLE / ".data")
    smtp_host: str | None = None
    smtp_port: int = 8025
    output: Path | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    """More ``CART_*`` settings (reminder delay, billing failures, ...)."""

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        """The environment of every process: ``CART_*`` settings, and this example on
        the import path (before the caller's, made absolute: the processes run in the
        example's folder)."""
        inherited = os.environ.get("PYTHONPATH", "").split(os.pathsep)
        path = os.pathsep.join([str(EXAMPLE), *(os.path.abspath(p) for p in inherited if p)])
        return {
            **os.environ,
            "PYTHONPATH": path,
            "CART_ENDPOINT": self.endpoint,
            "CART_DB": str(self.data / "cart.db"),
            "CART_SMTP_HOST": self.smtp_host or "127.0.0.1",
            "CART_SMTP_PORT": str(self.smtp_port),
            **self.extra_env,
        }


@dataclass
class Example:
    """The running example: its processes, stopped together."""

    options: Options
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _logs: list[IO[bytes]] = field(default_factory=list)

    def spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        out = None
        if self.options.output is not None:
            out = (self.options.output / f"{name}.log").open("wb")
            self._logs.append(out)
        process = subprocess.Popen(
            [sys.executable, *args],
            cwd=EXAMPLE,
            env=self.options.environment(),
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
        )
        self.processes.append(process)
        return process

    def stop(self) -> None:
        """SIGTERM every process, newest first; SIGKILL what is still up 10 s later."""
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in reversed(self.processes):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in self._logs:
            log.close()

    def crashed(self) -> str | None:
        """The command of a process that has exited, if any."""
        for process in self.processes:
            if process.poll() is not None:
                return " ".join(str(a) for a in process.args)  # type: ignore[union-attr]
        return None


def start(options: Options) -> Example:
    """Start everything and answer once POST /cart/items is routed to every consumer."""
    options.data.mkdir(parents=True, exist_ok=True)
    if options.output is not None:
        options.output.mkdir(parents=True, exist_ok=True)
    example = Example(options)
    try:
        if options.smtp_host is None:
            example.spawn("mailcatcher", "-m", "cart.mailcatcher", str(options.smtp_port))
            wait_for(lambda: listening(options.smtp_port), example, "the mail catcher")
        serve = ["serve", "--config", str(EXAMPLE / "busway.toml"), "--port", str(options.port)]
        database = options.data / "busway.db"
        example.spawn(
            "busway", "-m", "busway", *serve, "--db", str(database), "--log-level", "warning"
        )
        wait_for(lambda: listening(options.port), example, "busway serve")
        settings = Settings.from_env(options.environment())
        set_up(settings)
        worker = ["worker", "cart.functions:app", "--endpoint", options.endpoint, "--poll", "1"]
        example.spawn("functions", "-m", "busway", *worker)
        example.spawn("mailer", "-m", "cart.mailer")
        wait_for(lambda: functions_routed(settings), example, "the functions' rules")
    except BaseException:
        example.stop()
        raise
    return example


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def functions_routed(settings: Settings) -> bool:
    """Whether the worker has made every function's rule and target."""
    from cart.functions import app

    events = client("events", settings)
    return all(events.list_targets_by_rule(Rule=r.rule).get("Targets") for r in app.routes)


def wait_for(ready: Callable[[], bool], example: Example, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if ready():
                return
        except Exception:  # not up yet: ask again
            pass
        crashed = example.crashed()
        if crashed is not None:
            raise RuntimeError(f"{crashed} exited while waiting for {what}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready after {timeout} s")
        time.sleep(0.1)


def _interrupt(number: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(prog="cart.launcher", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=4780, help="Busway's port (4780)")
    parser.add_argument("--data", type=Path, default=EXAMPLE / ".data", help="data folder")
    parser.add_argument("--smtp-host", default=os.environ.get("CART_SMTP_HOST"))
    parser.add_argument(
        "--smtp-port", type=int, default=int(os.environ.get("CART_SMTP_PORT", "8025"))
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _interrupt)  # stop the processes on SIGTERM too
    options = Options(args.port, args.data, args.smtp_host, args.smtp_port)
    example = start(options)
    print(
        f"shopping cart ready: curl -X POST {options.endpoint}/cart/items (Ctrl-C stops)",
        flush=True,
    )
    try:
        while example.crashed() is None:
            time.sleep(0.5)
        print(f"{example.crashed()} exited; stopping", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        example.stop()


if __name__ == "__main__":
    main()
