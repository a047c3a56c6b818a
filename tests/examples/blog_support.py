"""What the blog example's test needs besides the example: its launcher imported from
examples/blog, and the browser (Debian's Chromium driven by Playwright) or a reason
why there is none."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

EXAMPLE_DIR = Path(__file__).resolve().parents[2] / "examples" / "blog"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def blog_launcher() -> ModuleType:
    """``blog.launcher`` from examples/blog, the code ``examples/blog/run`` runs."""
    if str(EXAMPLE_DIR) not in sys.path:
        sys.path.insert(0, str(EXAMPLE_DIR))
    return importlib.import_module("blog.launcher")


def require_browser() -> None:
    """Skip the calling test when Chromium or Playwright is missing; under CI=true,
    fail instead, since CI must run it."""
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"Chromium ({CHROMIUM}; apt-get install chromium)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("Playwright (pip install playwright)")
    if not missing:
        return
    reason = "no browser to drive: missing " + " and ".join(missing)
    if os.environ.get("CI") == "true":
        pytest.fail(reason + " (required under CI=true)")
    pytest.skip(reason)
