from __future__ import annotations

import pytest

from busway.engine.senders.egress import EgressDeniedError, EgressPolicy, UnresolvableHostError
from busway.engine.senders.transport import EgressResolver

pytestmark = pytest.mark.anyio


async def test_resolver_hands_over_checked_addresses_ipv4_first() -> None:
    results = await EgressResolver(EgressPolicy()).resolve("localhost", 8080, family=0)
    addresses = [r["host"] for r in results]
    assert "127.0.0.1" in addresses
    assert addresses == sorted(addresses, key=lambda address: ":" in address)
    assert {(r["hostname"], r["port"]) for r in results} == {("localhost", 8080)}


async def test_resolver_refuses_a_name_with_any_denied_address() -> None:
    with pytest.raises(EgressDeniedError, match=r"127\.0\.0\.1 of host localhost"):
        await EgressResolver(EgressPolicy(deny=("127.0.0.0/8",))).resolve("localhost", 80)


async def test_resolver_reports_a_name_without_addresses() -> None:
    with pytest.raises(UnresolvableHostError):
        await EgressResolver(EgressPolicy()).resolve("no-such-host.invalid", 80)
