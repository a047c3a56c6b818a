"""Three ``busway serve`` nodes on one PostgreSQL database under steady load: one dies by
SIGKILL, and every acknowledged event still reaches its target at least once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.acceptance.multinode import (
    LEASE_SECONDS,
    Ledger,
    Publisher,
    cluster_of,
    explain_missing,
    route_to,
    wait_routed,
    widen_backlog,
)
from tests.servers import Received, Sink, start_sink

pytestmark = pytest.mark.slow


@pytest.fixture
def sink() -> Iterator[Sink]:
    server = widen_backlog(start_sink())
    yield server
    server.stop()


def test_a_node_killed_under_load_loses_no_acknowledged_event(
    tmp_path: Path, database_url: str, sink: Sink
) -> None:
    # A slow target, so that the killed node dies with sends in flight: the survivors
    # must take those over when their leases run out.
    sink.respond = slowly
    with cluster_of(database_url, tmp_path, 3) as nodes:
        route_to(nodes, sink)
        ledger = Ledger(sink)
        wait_routed(nodes, ledger)
        publishers = [Publisher(nodes, ledger, first=i, interval=0.02) for i in range(3)]
        for publisher in publishers:
            publisher.start()
        time.sleep(1.5)
        killed = nodes[2]
        killed.kill()
        time.sleep(1.5)
        for publisher in publishers:
            publisher.finish()
        acknowledged = ledger.all_acknowledged()
        through_killed = len(ledger.acknowledged.get(killed.name, ()))
        assert through_killed > 50, "the killed node had taken too little load to matter"
        # The killed node's claims go to the survivors when their lease runs out.
        missing = ledger.missing(seconds=LEASE_SECONDS + 30)
        # The survivors resend the killed node's sends in flight once their leases end.
        duplicates = ledger.duplicates(wait_seconds=LEASE_SECONDS + 10)
        print(
            f"\n{len(acknowledged)} acknowledged ({through_killed} through the killed node), "
            f"{len(missing)} missing, {len(duplicates)} delivered more than once "
            f"({sum(duplicates.values()) - len(duplicates)} extra deliveries)"
        )
        assert not missing, (
            f"{len(missing)} of {len(acknowledged)} acknowledged events lost:\n"
            + explain_missing(database_url, missing)
        )
        # What arrives more than once is what the killed node had claimed (sends in flight,
        # or done but not yet recorded) and, with leases this short, deliveries that
        # waited in a survivor's backlog past their lease. Bounded by the killed node's
        # share, not growing with the whole load.
        assert sum(duplicates.values()) - len(duplicates) <= through_killed
        # The sink got the killed node's last sends before it died, and again from the
        # survivors: proof that they took its unfinished deliveries over.
        assert duplicates, "no delivery of the killed node was taken over"


def slowly(received: Received) -> tuple[int, dict[str, str], bytes]:
    time.sleep(0.1)
    return 200, {}, b"{}"
