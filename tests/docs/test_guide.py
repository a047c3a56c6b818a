"""docs/guide.md works as written: every snippet runs, in order, against a real Busway on
loopback, once per track (boto3, CLI, SDK), and prints what the guide shows.

The guide's ``scripts/run serve`` is not run (its marker says so): each track starts
its own server on a free port instead (see ``runner.py`` for how the guide's port 4780
is rewritten to it), in a fresh folder, so the tracks cannot see each other's buses.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from tests.docs.markdown import RUNNABLE, TRACKS, Block, read_blocks
from tests.docs.runner import Track
from tests.servers import free_port, start_busway

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guide.md"
NOT_RUN_AT_MOST = 1


def guide_blocks() -> list[Block]:
    return read_blocks(GUIDE)


@pytest.mark.parametrize("track", TRACKS)
def test_the_guide_runs_as_written(track: str, tmp_path: Path) -> None:
    server = start_busway(tmp_path / "server")
    folder = tmp_path / "reader"
    folder.mkdir()
    ports = {4780: urlsplit(server.url).port or 0, 9000: free_port()}
    reader = Track(track, folder=folder, ports=ports, server_url=server.url)
    try:
        for block in guide_blocks():
            if block.track in (None, track) and block.marker != "not run":
                reader.run(block)
    finally:
        reader.close()
        server.stop()


def test_every_block_is_run_or_says_why_not() -> None:
    blocks = guide_blocks()
    for block in blocks:
        if block.marker == "not run":
            assert block.argument, f"{block.where()}: say why it is not run"
        elif block.marker == "output of":
            assert block.language == "text", block.where()
        else:
            assert block.language in RUNNABLE, f"{block.where()}: ```{block.language} never runs"
    assert sum(b.marker == "not run" for b in blocks) <= NOT_RUN_AT_MOST


def test_every_step_is_shown_three_ways() -> None:
    tracks_by_section: dict[str, set[str]] = defaultdict(set)
    for block in guide_blocks():
        if block.track is not None:
            tracks_by_section[block.section].add(block.track)
    assert len(tracks_by_section) >= 6
    for section, tracks in tracks_by_section.items():
        assert tracks == set(TRACKS), f"{section}: shown only with {sorted(tracks)}"


def test_every_background_command_is_awaited_by_name() -> None:
    started = set()
    for block in guide_blocks():
        if block.marker == "background":
            started.add(block.code.strip())
        if block.marker == "output of":
            assert block.argument in started, f"{block.where()}: {block.argument!r} not started"
