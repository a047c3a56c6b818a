"""PostgreSQL crashes and comes back under load: two nodes answer 503 meanwhile (which
AWS SDKs retry), reconnect by themselves, and every acknowledged event reaches its
target. The cluster is the test's own (tests/storage/cluster.py), never the machine's."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from tests.acceptance.multinode import (
    Ledger,
    Publisher,
    cluster_of,
    entry,
    explain_missing,
    route_to,
    wait_routed,
    widen_backlog,
)
from tests.servers import Sink, start_sink
from tests.storage.cluster import Cluster, temporary_cluster

pytestmark = pytest.mark.slow

# botocore's standard mode retries 500, 502, 503 and 504 with backoff; enough attempts
# to ride out a restart of a second or two.
RETRYING = {"retries": {"mode": "standard", "max_attempts": 10}}


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    with temporary_cluster() as made:
        yield made


@pytest.fixture
def sink() -> Iterator[Sink]:
    server = widen_backlog(start_sink())
    yield server
    server.stop()


def test_nodes_ride_out_a_database_restart_under_load(
    tmp_path: Path, cluster: Cluster, sink: Sink
) -> None:
    with cluster_of(cluster.url, tmp_path, 2) as nodes:
        route_to(nodes, sink)
        ledger = Ledger(sink)
        wait_routed(nodes, ledger)
        publishers = [
            Publisher(nodes, ledger, first=i, interval=0.02, **RETRYING) for i in range(2)
        ]
        for publisher in publishers:
            publisher.start()
        time.sleep(1.0)
        cluster.crash()
        started = time.monotonic()
        with pytest.raises(ClientError) as refused:
            nodes[0].client().put_events(Entries=[entry(0)])
        answered_in = time.monotonic() - started
        time.sleep(0.5)
        cluster.start()
        time.sleep(1.5)
        for publisher in publishers:
            publisher.finish()
        error = refused.value.response
        assert error["Error"]["Code"] == "ServiceUnavailable"
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 503
        assert answered_in < 5, "a request hung while the database was down"
        assert sum(p.retried for p in publishers) > 0, "no request was retried"
        assert sum(p.failures for p in publishers) == 0, "a retrying client gave up"
        for node in nodes:  # both serve again, without a restart of their own
            assert node.client().put_events(Entries=[entry(1)])["FailedEntryCount"] == 0
        missing = ledger.missing(seconds=30)
        acknowledged = ledger.all_acknowledged()
        print(
            f"\n{len(acknowledged)} acknowledged, {len(missing)} missing, "
            f"{len(ledger.duplicates())} delivered more than once, "
            f"{sum(p.retried for p in publishers)} retries by the SDK"
        )
        assert not missing, (
            f"{len(missing)} of {len(acknowledged)} acknowledged events lost:\n"
            + explain_missing(cluster.url, missing)
        )
