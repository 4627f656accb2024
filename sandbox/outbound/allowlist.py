"""Which recipients a real provider may mail from a developer's machine.

`MAILYARD_ALLOW_RECIPIENTS` lists addresses and `*@domain` patterns. The providers' own test
addresses (SES's mailbox simulator, Resend's resend.dev) are always allowed. The domain is what
follows the last `@`, so `"a@ok.com"@evil.com` and `a@ok.com.evil.com` are not ok.com's.
"""

from __future__ import annotations

from dataclasses import dataclass

PROVIDER_TEST_DOMAINS = ("simulator.amazonses.com", "resend.dev")


@dataclass(frozen=True)
class Allowlist:
    addresses: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset(PROVIDER_TEST_DOMAINS)

    @classmethod
    def parse(cls, text: str | None) -> Allowlist:
        addresses, domains = set(), set(PROVIDER_TEST_DOMAINS)
        for item in (text or "").replace(";", ",").split(","):
            item = item.strip().lower()
            if not item:
                continue
            if item.startswith("*@"):
                domains.add(item[2:])
            else:
                addresses.add(item)
        return cls(frozenset(addresses), frozenset(domains))

    def allows(self, address: str) -> bool:
        normalized = address.strip().lower()
        domain = normalized.rpartition("@")[2]
        return normalized in self.addresses or domain in self.domains

    def refused(self, recipients: tuple[str, ...] | list[str]) -> list[str]:
        return [r for r in recipients if not self.allows(r)]
