"""Which network addresses mailyard may fetch from: the server-side request forgery guard.

A captured message is written by whoever can send mail to the sandbox, so every URL in it is
hostile until checked. Mailpit shipped three fixes for exactly this hole in its link check and
HTML check (GHSA-mpf7-p9x7-96r3, GHSA-j3fj-qppj-fmmc, GHSA-w4mc-hhc6-xp28); this module is
the same rule, applied to the address actually connected to:

- a host is resolved here, once; every address it resolves to must be public, and the caller
  connects to the checked address itself (so DNS rebinding cannot swap it afterwards);
- an IP literal is read as a browser reads it (WHATWG URL: `0x7f000001`, `2130706433`,
  `0177.0.0.1` and `127.1` are all 127.0.0.1) and is never sent to the resolver;
- public means `ipaddress`'s `is_global`, and not multicast, reserved or site-local: loopback,
  private (RFC 1918, fc00::/7), link-local (169.254/16 with cloud metadata, fe80::/10), CGNAT
  (100.64/10), unspecified (`0.0.0.0`, `::`), documentation and benchmarking ranges all fail;
- an IPv6 address that carries an IPv4 one (IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible,
  NAT64 `64:ff9b::/96` and `64:ff9b:1::/48`, 6to4 `2002::/16`, Teredo `2001::/32`, ISATAP
  `::5efe:a.b.c.d`) is judged by the IPv4 address it carries as well.

`AddressPolicy(allow_private=True)` lifts the rule (tests on loopback, a private staging
network); `allowed` lifts it for listed networks only.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[str]]]
"""Resolves a host name and port to IP address strings, in the order to try them."""

_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")
_TEREDO = ipaddress.IPv6Network("2001::/32")
_COMPATIBLE = ipaddress.IPv6Network("::/96")


async def system_resolver(host: str, port: int) -> list[str]:
    """The operating system's resolver (`getaddrinfo`), run off the event loop."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _ipv4_part(part: str) -> int | None:
    """One dotted part, in decimal, octal (leading 0) or hex (0x), as the WHATWG parser reads it."""
    if part == "":
        return None
    base = 10
    if part[:2].lower() == "0x":
        part, base = part[2:], 16
    elif len(part) > 1 and part.startswith("0"):
        part, base = part[1:], 8
    if part == "":  # "0x" alone is zero
        return 0
    try:
        return int(part, base) if part.isascii() and part.isalnum() else None
    except ValueError:
        return None


def parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """`host` read as an IPv4 address in any form a browser accepts, or None."""
    parts = host.split(".")
    if parts and parts[-1] == "":
        parts.pop()  # "127.0.0.1." is 127.0.0.1
    if not 1 <= len(parts) <= 4 or any(len(p) > 12 for p in parts):
        return None
    numbers = [_ipv4_part(p) for p in parts]
    if any(n is None for n in numbers):
        return None
    values = [n for n in numbers if n is not None]
    if any(n > 255 for n in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        return None
    address = values[-1]
    for index, value in enumerate(values[:-1]):
        address += value << (8 * (3 - index))
    return ipaddress.IPv4Address(address)


def parse_ip(host: str) -> IPAddress | None:
    """`host` (as in a URL, IPv6 in brackets or not) read as an IP address, or None."""
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            return None
    return parse_ipv4(host)


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 transition address carries, if it carries one."""
    packed = address.packed
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if any(address in net for net in _NAT64) or (address in _COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(packed[12:16])
    if address in _SIX_TO_FOUR:
        return ipaddress.IPv4Address(packed[2:6])
    if address in _TEREDO:
        return ipaddress.IPv4Address(bytes(b ^ 0xFF for b in packed[12:16]))
    if packed[10:12] == b"\x5e\xfe":  # ISATAP: any /64, interface id ::5efe:a.b.c.d
        return ipaddress.IPv4Address(packed[12:16])
    return None


def is_public(address: IPAddress) -> bool:
    """True for an address on the public internet; see the module docstring."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public(address.ipv4_mapped)
        carried = embedded_ipv4(address)
        if (carried is not None and not is_public(carried)) or address.is_site_local:
            return False
    if address.is_multicast or address.is_reserved or address.is_unspecified:
        return False
    return address.is_global


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses may be fetched: public ones, plus private ones when allowed."""

    allow_private: bool = False
    allowed: tuple[IPNetwork, ...] = ()

    def permits(self, address: IPAddress) -> bool:
        """Whether a connection to `address` is allowed."""
        if self.allow_private or is_public(address):
            return True
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self.allowed)  # other versions: False
