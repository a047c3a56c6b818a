from __future__ import annotations

import subprocess
import sys

import busway
import busway.sdk


def test_every_public_name_resolves() -> None:
    for module in (busway, busway.sdk):
        for name in module.__all__:
            assert getattr(module, name) is not None


def test_importing_busway_does_not_load_botocore() -> None:
    code = "import sys, busway; print('botocore' in sys.modules)"
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "False"
