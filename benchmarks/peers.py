"""The peers' own virtualenv (benchmarks/.peer-venv) and the subprocess that times them.

moto and LocalStack bring dozens of dependencies (boto3, pydantic, twisted ...) that must never
enter Busway's environment, so they live in a separate venv that this module creates on first
use, and are timed by peer_runner.py running under that venv's interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
VENV = HERE / ".peer-venv"
RUNNER = HERE / "peer_runner.py"
# localstack-core 2026.3.0 is the last open-source release (the repository is archived); its
# pattern engine imports localstack.aws.api, which needs the base-runtime extra. moto's server
# extra is the moto server benchmarks/e2e.py runs beside Busway.
REQUIREMENTS = ("moto[server]==5.2.5", "localstack-core[base-runtime]==2026.3.0")
# MiniStack pins another botocore than LocalStack, so it gets a venv of its own, kept inside
# the (gitignored) peer venv's folder.
MINISTACK_VENV = VENV / "ministack"
MINISTACK_REQUIREMENTS = ("ministack==1.5.33",)
PEER_NAMES = ("moto", "localstack")


class PeerSetupError(RuntimeError):
    pass


def venv_python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv(venv: Path = VENV, requirements: tuple[str, ...] = REQUIREMENTS) -> Path:
    """Create ``venv`` and install ``requirements``, once; raise PeerSetupError if impossible."""
    stamp = venv / "busway-requirements.txt"
    wanted = "\n".join(requirements)
    python = venv / "bin" / "python"
    if stamp.exists() and stamp.read_text() == wanted and python.exists():
        return python
    print(f"setting up {venv.relative_to(HERE.parent)}: pip install {' '.join(requirements)}")
    _run([sys.executable, "-m", "venv", "--clear", str(venv)], "create the venv")
    _run([str(python), "-m", "pip", "install", "--quiet", *requirements], "pip install")
    stamp.write_text(wanted)
    return python


def _run(command: list[str], what: str) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PeerSetupError(f"{what} failed: {exc}") from exc
    if done.returncode != 0:
        raise PeerSetupError(f"{what} failed (exit {done.returncode}): {_last_error(done)}")


def _last_error(done: subprocess.CompletedProcess[str]) -> str:
    lines = (done.stderr or done.stdout or "").strip().splitlines() or ["(no output)"]
    errors = [line for line in lines if "error" in line.lower()] or lines
    return errors[-1][:300]


def run_peers(
    sets: list[dict[str, Any]], *, budget_s: float, min_events: int = 3, record: int = 200
) -> dict[str, Any]:
    """Time every peer on every set; returns {peer: {"version", "sets": {name: figures}}}."""
    python = ensure_venv()
    config = {
        "peers": list(PEER_NAMES),
        "budget_s": budget_s,
        "min_events": min_events,
        "record": record,
        "sets": sets,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="busway-peers-") as f:
        json.dump(config, f)
        f.flush()
        done = subprocess.run(
            [str(python), str(RUNNER), f.name], capture_output=True, text=True, check=False
        )
    if done.returncode != 0:
        raise PeerSetupError(f"peer runner failed (exit {done.returncode}): {_last_error(done)}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result
