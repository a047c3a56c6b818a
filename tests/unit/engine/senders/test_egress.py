from __future__ import annotations

import pytest

from busway.engine.senders.egress import EgressPolicy


@pytest.mark.parametrize(
    ("policy", "address", "permitted"),
    [
        (EgressPolicy(), "127.0.0.1", True),
        (EgressPolicy(deny=("127.0.0.0/8",)), "127.0.0.1", False),
        (EgressPolicy(deny=("127.0.0.0/8",)), "::ffff:127.0.0.1", False),
        (EgressPolicy(allow=("10.0.0.0/8",)), "10.1.2.3", True),
        (EgressPolicy(allow=("10.0.0.0/8",)), "8.8.8.8", False),
        (EgressPolicy(allow=("10.0.0.0/8",), deny=("10.9.0.0/16",)), "10.9.1.1", False),
        (EgressPolicy.private_denied(), "169.254.169.254", False),
        (EgressPolicy.private_denied(), "192.168.1.1", False),
        (EgressPolicy.private_denied(), "fd00::1", False),
        (EgressPolicy.private_denied(), "93.184.216.34", True),
        (EgressPolicy.private_denied(), "2606:4700::1", True),
    ],
)
def test_permits(policy: EgressPolicy, address: str, permitted: bool) -> None:
    assert policy.permits(address) is permitted
