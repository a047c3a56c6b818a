"""The installed ``busway`` console script, run in subprocesses as a user runs it."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any, BinaryIO

import pytest

# The console script pip installed beside this interpreter (.venv/bin/busway).
BUSWAY = Path(sys.executable).with_name("busway")

Completed = subprocess.CompletedProcess[str]
Run = Callable[..., Completed]


@pytest.fixture
def busway() -> Run:
    assert BUSWAY.exists(), f"{BUSWAY} is missing: install with scripts/test or pip install -e ."

    def run(*args: str, stdin: str = "", stdout: int = subprocess.PIPE) -> Completed:
        return subprocess.run(
            [str(BUSWAY), *args],
            input=stdin,
            stdout=stdout,
            stderr=subprocess.PIPE,
            encoding="utf-8",
            timeout=60,
            check=False,
        )

    return run


def event_text(**fields: Any) -> str:
    """A complete event envelope as TestEventPattern requires it, with fields overridden."""
    event = {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "OrderPlaced",
        "source": "shop",
        "account": "111122223333",
        "time": "2024-05-01T12:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {"state": "stopped", "total": 42},
    }
    event.update(fields)
    return json.dumps(event)


SHOP = '{"source": ["shop"]}'
RUNNING_SHOP = '{"source": ["shop"], "detail": {"state": [{"anything-but": "stopped"}]}}'


def lines_of(text: str) -> list[str]:
    return text.splitlines()


def line_with(text: str, needle: str) -> str:
    [line] = [line for line in lines_of(text) if needle in line]
    return line


def test_matching_event_prints_match_and_exits_0(busway: Run) -> None:
    result = busway("test-pattern", SHOP, event_text())
    assert (result.returncode, result.stdout, result.stderr) == (0, "match\n", "")


def test_other_event_prints_no_match_and_exits_1(busway: Run) -> None:
    result = busway("test-pattern", SHOP, event_text(source="billing"))
    assert (result.returncode, result.stdout, result.stderr) == (1, "no match\n", "")


def test_nested_operator_pattern_is_evaluated(busway: Run) -> None:
    pattern = '{"detail": {"total": [{"numeric": [">", 40]}]}}'
    assert busway("test-pattern", pattern, event_text()).stdout == "match\n"
    assert busway("test-pattern", pattern, event_text(detail={"total": 7})).stdout == "no match\n"


def test_invalid_pattern_prints_aws_error_and_exits_2(busway: Run) -> None:
    result = busway("test-pattern", '{"source": []}', event_text())
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "InvalidEventPatternException: Event pattern is not valid. "
        "Reason: Empty arrays are not allowed\n"
    )


def test_pattern_is_validated_before_the_event(busway: Run) -> None:
    result = busway("test-pattern", '{"int": 42}', "[]")
    assert result.returncode == 2
    assert result.stderr == (
        "InvalidEventPatternException: Event pattern is not valid. "
        'Reason: "int" must be an object or an array\n'
    )


def test_event_that_is_not_an_object_prints_validation_error(busway: Run) -> None:
    result = busway("test-pattern", SHOP, '["shop"]')
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "ValidationException: Parameter Event is not valid.\n"


def test_event_without_the_envelope_prints_validation_error(busway: Run) -> None:
    result = busway("test-pattern", SHOP, '{"source": "shop"}')
    assert result.returncode == 2
    assert result.stderr == "ValidationException: Parameter Event is not valid.\n"


def test_arguments_are_read_from_files(busway: Run, tmp_path: Path) -> None:
    (tmp_path / "pattern.json").write_text(SHOP, encoding="utf-8")
    (tmp_path / "event.json").write_text(event_text(), encoding="utf-8")
    result = busway("test-pattern", f"@{tmp_path / 'pattern.json'}", f"@{tmp_path / 'event.json'}")
    assert (result.returncode, result.stdout) == (0, "match\n")


def test_event_is_read_from_stdin(busway: Run) -> None:
    result = busway("test-pattern", SHOP, "@-", stdin=event_text(source="billing"))
    assert (result.returncode, result.stdout) == (1, "no match\n")


def test_pattern_is_read_from_stdin(busway: Run) -> None:
    result = busway("test-pattern", "@-", event_text(), stdin=json.dumps({"source": ["shop"]}))
    assert (result.returncode, result.stdout) == (0, "match\n")


def test_missing_file_is_a_usage_error(busway: Run, tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    result = busway("test-pattern", f"@{missing}", event_text())
    assert result.returncode == 2
    assert f"cannot read {missing}: No such file or directory" in result.stderr
    assert result.stdout == ""


def test_failing_field_is_marked_with_its_condition_and_reason(busway: Run) -> None:
    result = busway("explain", RUNNING_SHOP, event_text())
    assert result.returncode == 1
    state = line_with(result.stdout, "detail.state")
    assert state.startswith("✗ ")
    assert '[{"anything-but":"stopped"}]' in state
    assert "stopped" in state.split('[{"anything-but":"stopped"}]')[1]
    assert lines_of(result.stdout)[-1] == "NO MATCH"


def test_satisfied_field_is_marked_with_the_value_that_satisfied_it(busway: Run) -> None:
    result = busway("explain", RUNNING_SHOP, event_text(detail={"state": "running"}))
    assert result.returncode == 0
    source = line_with(result.stdout, "source")
    assert source.startswith("✓ ")
    assert source.endswith('"shop"')
    assert line_with(result.stdout, "detail.state").endswith('"running"')
    assert lines_of(result.stdout)[-1] == "MATCH"


def test_single_branch_has_no_branch_label(busway: Run) -> None:
    assert "$or" not in busway("explain", RUNNING_SHOP, event_text()).stdout


def test_each_or_branch_gets_its_own_labelled_block(busway: Run) -> None:
    pattern = '{"$or": [{"source": ["billing"]}, {"detail": {"total": [{"numeric": [">", 40]}]}}]}'
    result = busway("explain", pattern, event_text())
    assert result.returncode == 0
    out = lines_of(result.stdout)
    first, second = out.index("$or branch 1: no match"), out.index("$or branch 2: match")
    assert "✗ source" in out[first + 1]
    assert "✓ detail.total" in out[second + 1]
    assert out[-1] == "MATCH"


def test_array_consistency_failure_is_called_out_under_its_fields(busway: Run) -> None:
    pattern = '{"detail": {"items": {"sku": ["a"], "qty": [5]}}}'
    items = [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 5}]
    result = busway("explain", pattern, event_text(detail={"items": items}))
    assert result.returncode == 1
    *fields, note, verdict = lines_of(result.stdout)
    assert [field[:2] for field in fields] == ["✓ ", "✓ "]
    assert note.startswith("✗ ")
    assert "array" in note
    assert verdict == "NO MATCH"


def test_output_to_a_pipe_has_no_colour_codes(busway: Run) -> None:
    assert "\x1b[" not in busway("explain", RUNNING_SHOP, event_text()).stdout


def test_output_to_a_terminal_is_coloured(busway: Run) -> None:
    primary, secondary = pty.openpty()
    with os.fdopen(primary, "rb", buffering=0) as terminal:
        result = busway("explain", RUNNING_SHOP, event_text(), stdout=secondary)
        os.close(secondary)
        shown = read_all(terminal).decode("utf-8")
    assert result.returncode == 1
    assert "\x1b[" in shown
    assert "detail.state" in shown


def read_all(terminal: BinaryIO) -> bytes:
    chunks = []
    while True:
        try:
            chunk = terminal.read(4096)
        except OSError:  # Linux answers EIO once the other end of the terminal is closed.
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def test_explain_reads_stdin(busway: Run) -> None:
    result = busway("explain", RUNNING_SHOP, "@-", stdin=event_text(detail={"state": "up"}))
    assert (result.returncode, lines_of(result.stdout)[-1]) == (0, "MATCH")


def test_explain_invalid_pattern_prints_aws_error_and_exits_2(busway: Run) -> None:
    result = busway("explain", '{"source": "shop"}', event_text())
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "InvalidEventPatternException: Event pattern is not valid. "
        'Reason: "source" must be an object or an array\n'
    )


def test_explain_invalid_event_prints_validation_error_and_exits_2(busway: Run) -> None:
    result = busway("explain", RUNNING_SHOP, "not json")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "ValidationException: Parameter Event is not valid.\n"


def test_version_is_the_installed_package_version(busway: Run) -> None:
    result = busway("--version")
    assert (result.returncode, result.stdout) == (0, f"busway, version {version('busway')}\n")


def test_help_lists_the_commands(busway: Run) -> None:
    result = busway("--help")
    assert result.returncode == 0
    assert "test-pattern" in result.stdout
    assert "explain" in result.stdout
