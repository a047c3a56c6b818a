"""The guide's snippets, read from its Markdown: fenced blocks, the label that says which
way a block belongs to, the marker that says how to run it, and the output shown after it.

The conventions, all visible in docs/guide.md:

- A line ``**boto3**``, ``**CLI**`` or ``**SDK**`` just before a block puts it on that
  track; an unlabelled block belongs to every track.
- An HTML comment just before a block marks it:
  ``<!-- not run: WHY -->`` (never run), ``<!-- file: NAME -->`` (a Python block saved as
  NAME in the working directory), ``<!-- background -->`` (an ``sh`` block started as a
  background process that lives to the end of the track), and, on a ``text`` block,
  ``<!-- output of: COMMAND -->`` (lines that background process COMMAND must print).
- A ``text`` block right after a code block (one blank line between) is that block's
  expected output (for a background block: lines to wait for before going on).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

TRACKS = ("boto3", "CLI", "SDK")
RUNNABLE = ("python", "sh")
LABEL = re.compile(r"^\*\*(boto3|CLI|SDK)\*\*$")
MARKER = re.compile(r"^<!--\s*(not run|file|background|output of)\s*(?::\s*(.*?))?\s*-->$")


@dataclass
class Block:
    """One fenced block: ``line`` is the 1-based line of its opening fence."""

    line: int
    language: str
    code: str
    track: str | None = None
    marker: str | None = None
    argument: str | None = None
    section: str = ""
    end: int = 0
    expected: Block | None = field(default=None, repr=False)

    def where(self) -> str:
        return f"docs/guide.md:{self.line}"


def read_blocks(path: Path) -> list[Block]:
    """Every fenced block of ``path`` in order, with plain ``text`` blocks attached as
    the expected output of the code block before them (and left out of the list)."""
    blocks: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    section = ""
    number = 0
    while number < len(lines):
        text = lines[number]
        if text.startswith("## "):
            section = text[3:].strip()
        if text.startswith("```"):
            end = _closing_fence(lines, number)
            block = Block(number + 1, text[3:].strip(), "\n".join(lines[number + 1 : end]) + "\n")
            block.section, block.end = section, end + 1
            _read_context(block, lines[:number])
            _attach(block, blocks)
            number = end
        number += 1
    return blocks


def _closing_fence(lines: list[str], opening: int) -> int:
    for number in range(opening + 1, len(lines)):
        if lines[number].strip() == "```":
            return number
    raise ValueError(f"docs/guide.md:{opening + 1}: the code block is never closed")


def _read_context(block: Block, before: list[str]) -> None:
    """The marker and label in the non-blank lines just above the block."""
    above = [line.strip() for line in before if line.strip()][-2:]
    if above and (marker := MARKER.match(above[-1])):
        block.marker, block.argument = marker.group(1), marker.group(2)
        above = above[:-1]
    if above and (label := LABEL.match(above[-1])):
        block.track = label.group(1)


def _attach(block: Block, blocks: list[Block]) -> None:
    if block.language != "text" or block.marker == "output of":
        blocks.append(block)
        return
    previous = blocks[-1] if blocks else None
    if previous is None or previous.expected is not None or previous.end != block.line - 2:
        raise ValueError(f"{block.where()}: an output block must follow its code block")
    previous.expected = block
