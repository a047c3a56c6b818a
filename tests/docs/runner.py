"""Runs the guide's blocks for one track, as a reader following it would, and checks what
they print.

- The guide talks to ``http://127.0.0.1:4780`` and its receiver listens on 9000: the
  runner rewrites the numbers 4780 and 9000 (as whole words, in code and in expected
  output alike) to the ports of the test's server and of a free port, and sets
  ``BUSWAY_ENDPOINT_URL`` for the commands.
- Python blocks run in this process, one namespace per track (one ``python`` session);
  ``sh`` blocks run with ``sh -e`` in the track's folder, with this interpreter's
  ``bin`` folder (where ``busway`` and ``python`` are installed) first on ``PATH`` and
  this busway first on ``PYTHONPATH``.
- Output is compared after normalising what differs from run to run: UUIDs become
  ``<id>`` and ISO 8601 times (with or without fraction and offset) ``<time>``.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from tests.docs.markdown import Block

import busway

UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?")
COMMAND_TIMEOUT = 40.0
WAIT_TIMEOUT = 20.0


def normalise(text: str) -> list[str]:
    """The lines of ``text`` with ids and times replaced and trailing space dropped."""
    text = TIME.sub("<time>", UUID.sub("<id>", text))
    return [line.rstrip() for line in text.strip("\n").splitlines()]


class Background:
    """A command started by a ``background`` block; its output collected as it comes."""

    def __init__(self, command: str, *, folder: Path, env: dict[str, str]) -> None:
        self.output: list[str] = []
        self.process = subprocess.Popen(
            ["sh", "-c", f"exec {command}"],
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)

    def wait_for(self, expected: list[str], *, timeout: float = WAIT_TIMEOUT) -> bool:
        """Whether the ``expected`` lines appeared, in order, within ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if _in_order(expected, normalise("".join(self.output))):
                return True
            if self.process.poll() is not None:
                self.reader.join(timeout=5)
                return _in_order(expected, normalise("".join(self.output)))
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.reader.join(timeout=5)
        if self.process.stdout is not None:
            self.process.stdout.close()


def _in_order(expected: list[str], lines: list[str]) -> bool:
    remaining = iter(lines)
    return all(any(line == wanted for line in remaining) for wanted in expected)


class Track:
    """One reader's way through the guide (boto3, CLI or SDK) against one server."""

    def __init__(self, name: str, *, folder: Path, ports: dict[int, int], server_url: str) -> None:
        self.name = name
        self.folder = folder
        self.ports = ports
        self.namespace: dict[str, Any] = {"__name__": "__guide__"}
        self.background: dict[str, Background] = {}
        self.env = _environment(server_url)

    def run(self, block: Block) -> None:
        """Run ``block`` as its marker says; ``AssertionError`` naming its line if it
        fails or prints something else than the guide shows."""
        code = self.rewrite(block.code)
        if block.marker == "file":
            assert block.argument, f"{block.where()}: file marker without a name"
            (self.folder / block.argument).write_text(code, encoding="utf-8")
        elif block.marker == "background":
            self._start(block, code)
        elif block.marker == "output of":
            self._await(block)
        elif block.language == "python":
            self._check(block, self._python(block, code))
        else:
            self._check(block, self._shell(block, code))

    def rewrite(self, text: str) -> str:
        for guide_port, real_port in self.ports.items():
            text = re.sub(rf"\b{guide_port}\b", str(real_port), text)
        return text

    def close(self) -> None:
        for process in self.background.values():
            process.stop()
        for value in self.namespace.values():
            if isinstance(value, busway.Client):
                value.close()

    def _python(self, block: Block, code: str) -> str:
        padded = "\n" * block.line + code  # tracebacks then name the guide's own lines
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            try:
                exec(compile(padded, "docs/guide.md", "exec"), self.namespace)
            except Exception as error:
                raise AssertionError(self._failed(block, f"raised {error!r}")) from error
        return printed.getvalue()

    def _shell(self, block: Block, code: str) -> str:
        done = subprocess.run(
            ["sh", "-e", "-c", code],
            check=False,
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
        )
        if done.returncode != 0:
            details = f"exited {done.returncode}\n{done.stdout}{done.stderr}"
            raise AssertionError(self._failed(block, details))
        return done.stdout

    def _check(self, block: Block, printed: str) -> None:
        if block.expected is None:
            return
        wanted = normalise(self.rewrite(block.expected.code))
        got = normalise(printed)
        assert got == wanted, self._failed(block, f"printed {got}, the guide shows {wanted}")

    def _start(self, block: Block, code: str) -> None:
        process = Background(code.strip(), folder=self.folder, env=self.env)
        self.background[block.code.strip()] = process
        if block.expected is not None:
            self._wait(block, process, block.expected)

    def _await(self, block: Block) -> None:
        process = self.background.get(block.argument or "")
        assert process is not None, f"{block.where()}: no background command {block.argument!r}"
        self._wait(block, process, block)

    def _wait(self, block: Block, process: Background, expected: Block) -> None:
        wanted = normalise(self.rewrite(expected.code))
        if not process.wait_for(wanted):
            output = "".join(process.output)
            raise AssertionError(self._failed(block, f"never printed {wanted}:\n{output}"))

    def _failed(self, block: Block, what: str) -> str:
        return f"{block.where()} ({self.name} track, {block.section}): {what}"


def _environment(server_url: str) -> dict[str, str]:
    """The reader's shell: busway and python on PATH, talking to the test's server."""
    bin_folder = str(Path(sys.executable).parent)
    source = str(Path(busway.__file__).resolve().parents[1])
    python_path = os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")]))
    return {
        **os.environ,
        "PATH": os.pathsep.join([bin_folder, os.environ.get("PATH", "")]),
        "PYTHONPATH": python_path,
        "PYTHONUNBUFFERED": "1",
        "BUSWAY_ENDPOINT_URL": server_url,
    }
