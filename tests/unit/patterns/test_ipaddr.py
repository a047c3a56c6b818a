import pytest

from busway.errors import InvalidEventPatternError
from busway.patterns.ipaddr import in_range, parse_cidr, parse_ip


def test_ipv4_and_ipv6_literals_read_as_addresses() -> None:
    assert parse_ip("10.0.0.1") == (32, 0x0A000001)
    assert parse_ip("010.000.000.001") == parse_ip("10.0.0.1")
    assert parse_ip("2001:db8::1") == parse_ip("2001:0db8:0000:0000:0000:0000:0000:0001")
    assert parse_ip("::ffff:a00:1") == parse_ip("10.0.0.1")
    assert parse_ip("::ffff:10.0.0.1") is None  # not an address literal to EventBridge


@pytest.mark.parametrize("text", ["10.0.0.256", "hello", "1.2.3", "xxxx::1", "", "1.2.3.4.5"])
def test_non_addresses_read_as_none(text: str) -> None:
    assert parse_ip(text) is None


def test_cidr_keeps_the_written_address_as_its_bottom() -> None:
    bits, bottom, top = parse_cidr("10.0.0.5/24")
    assert (bits, bottom, top) == (32, 0x0A000005, 0x0A0000FF)
    assert not in_range((32, 0x0A000001), (bits, bottom, top))


def test_ipv6_cidr_compares_by_value() -> None:
    network = parse_cidr("2001:db8:1234:1a00::/64")
    address = parse_ip("2001:0db8:1234:1a00:0000:0000:0000:0000")
    assert address is not None and in_range(address, network)
    v4 = parse_ip("10.0.0.1")
    assert v4 is not None and not in_range(v4, network)


@pytest.mark.parametrize(
    ("cidr", "reason"),
    [
        ("10.0.0.0", "Malformed CIDR, one '/' required"),
        ("10.0.0.0/8/8", "Malformed CIDR, one '/' required"),
        ("10.0.0.0/x", "Malformed CIDR, mask bits must be an integer"),
        ("10.0.0.0/-1", "Malformed CIDR, mask bits must not be negative"),
        ("10.0.0.0/32", "IPv4 mask bits must be < 32"),
        ("::/128", "IPv6 mask bits must be < 128"),
        ("xx.11.xx/8", "Nonstandard IP address: xx.11.xx"),
        ("10.0.0.256/8", "Invalid IP address: 10.0.0.256"),
    ],
)
def test_cidr_errors_use_eventbridge_wording(cidr: str, reason: str) -> None:
    with pytest.raises(InvalidEventPatternError) as caught:
        parse_cidr(cidr)
    assert caught.value.reason == reason
