"""Which kinds of condition a sealed ``Edges`` holds, as bits of ``Edges.kinds``.

The walk reads only the slots these name, so a state touches one or two cache lines
of its edges rather than all of them.
"""

from __future__ import annotations

from typing import Final

STRINGS: Final = 1
PREFIXES: Final = 2
SUFFIXES: Final = 4
FOLDED: Final = 8
STRING_TESTS: Final = 16
ADDRESSES: Final = 32
NUMBERS: Final = 64
LITERALS: Final = 128
PRESENT: Final = 256
ANY_TESTS: Final = 512
ABSENT: Final = 1024
# Set on a state that has tests besides its own edges (``Edges.more``).
MORE: Final = 2048
# Set with one other kind when the Edges holds that one condition itself, with no Rest
# (see ``Edges.fill``): the commonest case past a rule's first fields.
SOLO: Final = 4096
# Set with STRINGS and one other kind when the Edges holds exact strings and that one
# other condition itself (``Edges.extra``), with no Rest.
EXTRA: Final = 8192
# Set with SOLO when what the one condition leads to is a state that only accepts one
# rule: that rule's index is then held in ``Edges.meta`` (in the length's bits, unused
# with SOLO), so a step that meets the condition accepts it without reading the state.
LEAF: Final = 16384
OTHER_STRINGS: Final = PREFIXES | SUFFIXES | FOLDED | STRING_TESTS | ADDRESSES
# What ``Edges`` holds itself; any other kind is in its ``Rest``.
IN_EDGES: Final = STRINGS | MORE
# Bits of ``Edges.meta`` (see there).
KIND_BITS: Final = 0xFFFF
PATH_SHIFT: Final = 16
PATH_BITS: Final = 0xFFFFFF
LENGTH_SHIFT: Final = 40
MAX_KEY_LENGTH: Final = (1 << 22) - 1
MAX_LEAF_RULE: Final = MAX_KEY_LENGTH
