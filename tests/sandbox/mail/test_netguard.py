"""The SSRF guard: how hosts are read as addresses and which addresses count as public."""

from __future__ import annotations

import ipaddress

import pytest

from mailyard.sandbox.mail.netguard import AddressPolicy, embedded_ipv4, is_public, parse_ip


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0X7F.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("1.256", "1.0.1.0"),
        ("[::1]", "::1"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1"),
    ],
)
def test_hosts_read_as_a_browser_reads_them(host: str, address: str) -> None:
    assert str(parse_ip(host)) == address


@pytest.mark.parametrize(
    "host", ["example.com", "1.2.3.4.5", "256.1.1.1", "0x100000000", "09.1.1.1", "[::1", "1..1", ""]
)
def test_names_and_invalid_numbers_are_not_addresses(host: str) -> None:
    assert parse_ip(host) is None


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.255.255.254",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "255.255.255.255",
        "224.0.0.1",
        "239.1.2.3",
        "240.0.0.1",
        "192.0.2.1",
        "198.18.0.1",
        "::",
        "::1",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "fec0::1",
        "ff02::1",
        "ff0e::1",
        "2001:db8::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::127.0.0.1",
        "64:ff9b::7f00:1",
        "64:ff9b::a9fe:a9fe",
        "64:ff9b:1::a00:1",
        "2002:7f00:1::1",
        "2002:a9fe:a9fe::",
        "2001:0:4136:e378:8000:63bf:80ff:fffe",
        "2606:4700::5efe:7f00:1",
    ],
)
def test_private_and_special_addresses_are_not_public(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "1.1.1.1",
        "93.184.216.34",
        "2606:4700:4700::1111",
        "::ffff:8.8.8.8",
        "2002:808:808::1",
    ],
)
def test_public_addresses_are_public(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


def test_transition_addresses_carry_their_ipv4() -> None:
    def carried(text: str) -> str:
        return str(embedded_ipv4(ipaddress.IPv6Address(text)))

    assert carried("::ffff:169.254.169.254") == "169.254.169.254"
    assert carried("64:ff9b::a9fe:a9fe") == "169.254.169.254"
    assert carried("2002:a9fe:a9fe::1") == "169.254.169.254"
    assert carried("2001:0:4136:e378:8000:63bf:80ff:fffe") == "127.0.0.1"  # Teredo: XOR 0xff
    assert carried("fe80::5efe:7f00:1") == "127.0.0.1"  # ISATAP
    assert embedded_ipv4(ipaddress.IPv6Address("2606:4700::1111")) is None


def test_policy() -> None:
    loopback = ipaddress.ip_address("127.0.0.2")
    assert not AddressPolicy().permits(loopback)
    assert AddressPolicy(allow_private=True).permits(loopback)
    only = AddressPolicy(allowed=(ipaddress.ip_network("127.0.0.2/32"),))
    assert only.permits(loopback) and only.permits(ipaddress.ip_address("::ffff:127.0.0.2"))
    assert not only.permits(ipaddress.ip_address("127.0.0.1"))
    assert not only.permits(ipaddress.ip_address("::1"))
    assert AddressPolicy().permits(ipaddress.ip_address("8.8.8.8"))
