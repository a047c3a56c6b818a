"""Starts the whole blog example, sets Busway up for it, and stops it all again.

``python -m blog.launcher`` (what ``examples/blog/run`` runs) starts, each as its own
process: a mail catcher (unless ``BUSWAY_SMTP_HOST`` names a real SMTP server),
``busway serve``, ``busway worker blog.functions:app`` and the blog's web app; then
waits for Ctrl-C. The end-to-end test calls ``start`` with its own ports and folder.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import platformdirs

import busway
from blog.provision import provision

EXAMPLE_DIR = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
DEFAULT_SUBSCRIBERS = {"travel": ["traveller@example.com"], "history": ["historian@example.com"]}
STARTUP_SECONDS = 60.0


@dataclass(frozen=True)
class Options:
    """Where everything runs. ``smtp_host`` None: start the mail catcher on
    ``smtp_port``. ``log_dir`` None: the processes write to this terminal."""

    data_dir: Path
    busway_port: int = 4780
    blog_port: int = 8000
    smtp_host: str | None = None
    smtp_port: int = 8025
    subscribers: Mapping[str, Sequence[str]] = field(default_factory=lambda: DEFAULT_SUBSCRIBERS)
    log_dir: Path | None = None

    @property
    def busway_url(self) -> str:
        return f"http://{HOST}:{self.busway_port}"

    @property
    def blog_url(self) -> str:
        return f"http://{HOST}:{self.blog_port}"

    @property
    def websocket_url(self) -> str:
        return f"ws://{HOST}:{self.busway_port}/ws"


@dataclass
class Running:
    """The started processes, stopped by ``stop`` (or leaving a ``with`` block)."""

    options: Options
    processes: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def __enter__(self) -> Running:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def spawn(self, name: str, arguments: list[str], env: Mapping[str, str]) -> None:
        output: IO[Any] | None = None
        if self.options.log_dir is not None:
            self.options.log_dir.mkdir(parents=True, exist_ok=True)
            output = (self.options.log_dir / f"{name}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, *arguments],
            cwd=EXAMPLE_DIR,
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT if output else None,
        )
        if output is not None:
            output.close()
        self.processes.append((name, process))

    def check_alive(self) -> None:
        """Raise if a process has exited: nothing else would notice."""
        for name, process in self.processes:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with status {process.returncode}")

    def stop(self) -> None:
        """SIGTERM each process, newest first, and wait for it (SIGKILL after 10 s)."""
        while self.processes:
            _, process = self.processes.pop()
            if process.poll() is None:
                process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def start(options: Options) -> Running:
    """Start every process, set Busway up (idempotently) and wait until the blog
    answers; on any failure, stop what was started and raise."""
    running = Running(options)
    try:
        _start_all(running)
    except BaseException:
        running.stop()
        raise
    return running


def _start_all(running: Running) -> None:
    options = running.options
    options.data_dir.mkdir(parents=True, exist_ok=True)
    shared = {
        "PYTHONPATH": os.pathsep.join([str(EXAMPLE_DIR), *_python_path()]),
        "BUSWAY_ENDPOINT_URL": options.busway_url,
        "BLOG_URL": options.blog_url,
    }
    if options.smtp_host is None:
        catcher = ["-m", "blog.mailcatcher", "--host", HOST, "--port", str(options.smtp_port)]
        running.spawn("mailcatcher", catcher, shared)
    running.spawn("busway", _serve_arguments(options), {**shared, **_smtp_env(options)})
    _wait_for_http(running, options.busway_url + "/topics")
    with busway.Client(options.busway_url) as client:
        provision(client, subscribers=options.subscribers)
    worker = ["-m", "busway", "worker", "blog.functions:app", "--endpoint", options.busway_url]
    running.spawn("worker", worker, shared)
    blog_env = {
        **shared,
        "BLOG_DATABASE": str(options.data_dir / "blog.db"),
        "BLOG_WEBSOCKET_URL": options.websocket_url,
    }
    running.spawn("blog", _blog_arguments(options), blog_env)
    _wait_for_http(running, options.blog_url + "/posts/none")


def _python_path() -> list[str]:
    """The caller's PYTHONPATH made absolute: the processes run in EXAMPLE_DIR."""
    entries = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    return [str(Path(entry).resolve()) for entry in entries if entry]


def _serve_arguments(options: Options) -> list[str]:
    database = str(options.data_dir / "busway.db")
    return ["-m", "busway", "serve", "--host", HOST, "--port", str(options.busway_port),
            "--db", database, "--log-level", "warning"]  # fmt: skip


def _blog_arguments(options: Options) -> list[str]:
    return ["-m", "uvicorn", "blog.web:create_app", "--factory", "--host", HOST,
            "--port", str(options.blog_port), "--log-level", "warning"]  # fmt: skip


def _smtp_env(options: Options) -> dict[str, str]:
    """Busway's mail settings: the catcher's, or the user's server (its other
    BUSWAY_SMTP_* settings, such as a password, reach Busway unchanged)."""
    return {
        "BUSWAY_SMTP_HOST": options.smtp_host or HOST,
        "BUSWAY_SMTP_PORT": str(options.smtp_port),
        "BUSWAY_SMTP_FROM": os.environ.get("BUSWAY_SMTP_FROM", "blog@localhost"),
    }


def _wait_for_http(running: Running, url: str) -> None:
    """Return once ``url`` answers at all (any status), raising if a process died or
    STARTUP_SECONDS passed."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        running.check_alive()
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing answered at {url}") from None
            time.sleep(0.1)


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="examples/blog/run", description=__doc__)
    parser.add_argument("--busway-port", type=int, default=4780)
    parser.add_argument("--blog-port", type=int, default=8000)
    parser.add_argument("--smtp-port", type=int, default=None)
    parser.add_argument(
        "--data-dir", type=Path, default=Path(platformdirs.user_data_dir("busway-blog-example"))
    )
    parser.add_argument(
        "--subscribe",
        action="append",
        metavar="TOPIC=EMAIL",
        help="mail EMAIL the new posts on TOPIC (repeatable; default: two sample readers)",
    )
    return parser.parse_args(argv)


def _subscribers(pairs: Sequence[str] | None) -> dict[str, list[str]]:
    if not pairs:
        return {topic: list(emails) for topic, emails in DEFAULT_SUBSCRIBERS.items()}
    subscribers: dict[str, list[str]] = {}
    for pair in pairs:
        topic, _, email = pair.partition("=")
        subscribers.setdefault(topic.strip(), []).append(email.strip())
    return subscribers


def options_from(argv: Sequence[str] | None = None) -> Options:
    """The options of the command line and the environment (BUSWAY_SMTP_HOST/PORT)."""
    arguments = _arguments(argv)
    smtp_host = os.environ.get("BUSWAY_SMTP_HOST") or None
    default_port = int(os.environ.get("BUSWAY_SMTP_PORT", "25")) if smtp_host else 8025
    return Options(
        data_dir=arguments.data_dir,
        busway_port=arguments.busway_port,
        blog_port=arguments.blog_port,
        smtp_host=smtp_host,
        smtp_port=arguments.smtp_port or default_port,
        subscribers=_subscribers(arguments.subscribe),
    )


def main(argv: Sequence[str] | None = None) -> None:
    options = options_from(argv)
    stopped = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stopped.set())
    with start(options) as running:
        _print_banner(options)
        while not stopped.wait(1):
            try:
                running.check_alive()
            except RuntimeError as error:
                print(f"blog example: {error}; stopping the rest", file=sys.stderr)
                break
    print("blog example: stopped", flush=True)


def _print_banner(options: Options) -> None:
    mail = f"{options.smtp_host}:{options.smtp_port}" if options.smtp_host else "printed below"
    readers = "; ".join(f"{t}: {', '.join(e)}" for t, e in options.subscribers.items())
    print(
        f"""
blog example: running (Ctrl-C stops everything)
  author's page   {options.blog_url}/authors/ada   (any lower-case author name)
  post from here  curl -s {options.blog_url}/posts -H 'Content-Type: application/json' \\
                    -d '{{"author": "ada", "title": "Trip", "topic": "travel",
                         "body": "Marie Curie and Albert Einstein walked through Paris."}}'
  Busway          {options.busway_url}  (data in {options.data_dir})
  mail            {mail}; readers by topic: {readers}
""",
        flush=True,
    )


if __name__ == "__main__":
    main()
