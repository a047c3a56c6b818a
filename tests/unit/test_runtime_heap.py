"""The runtime keeps full garbage collections short by freezing what has settled."""

from __future__ import annotations

import asyncio
import gc

from busway.runtime import Heap


def test_settling_freezes_every_surviving_object() -> None:
    gc.unfreeze()
    Heap().settle()
    assert gc.get_freeze_count() > 1000


def test_a_burst_of_changes_freezes_once_after_it_ends() -> None:
    async def burst() -> tuple[int, int]:
        heap = Heap()
        gc.unfreeze()
        for _ in range(3):
            heap.settle_soon()
        during = gc.get_freeze_count()
        await asyncio.sleep(1.2)
        return during, gc.get_freeze_count()

    during, after = asyncio.run(burst())
    assert during == 0
    assert after > 1000
