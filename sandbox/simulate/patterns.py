"""Address patterns for rules and faults: which recipients a rule is about.

    *                       every address
    example.com             every address at example.com (not its subdomains)
    *.example.com           every address at a subdomain of example.com (not example.com)
    *@example.com           the same as example.com
    bob@example.com         that address
    bounce-*@*.example.com  a glob on the local part (`*` any run, `?` one character)

Matching is case-insensitive. The local part is matched whole, label included: `bob@x.test` does
not match `bob+1@x.test`; write `bob+*@x.test` (or `bob*@x.test`) for that.

The glob matcher keeps one backtrack point (the last `*`), so a match costs at most
pattern length * address length steps; both are capped at 254 characters (RFC 5321's path).
No regular expressions: nothing a user writes can make a match slow.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_LENGTH = 254
_DOMAIN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-_")


@dataclass(frozen=True)
class AddressPattern:
    """A parsed pattern; `text` is its canonical spelling (lower-cased)."""

    text: str
    local: str  # a glob; "*" matches any local part
    domain: str  # "" matches any domain
    subdomains: bool = False  # `*.domain`: strictly below `domain`

    def matches(self, address: str) -> bool:
        if len(address) > MAX_LENGTH:
            return False
        local, at, domain = address.lower().rpartition("@")
        if not at:
            return False
        if self.subdomains:
            if not domain.endswith("." + self.domain):
                return False
        elif self.domain and domain != self.domain:
            return False
        return self.local == "*" or _glob(self.local, local)


def parse_pattern(text: str) -> AddressPattern:
    """A pattern from its text; ValueError says what is wrong with it."""
    text = text.strip().lower()
    if not text:
        raise ValueError("an address pattern is needed, e.g. '*@example.com'")
    if len(text) > MAX_LENGTH:
        raise ValueError(f"address pattern longer than {MAX_LENGTH} characters")
    if any(c.isspace() or not c.isprintable() for c in text):
        raise ValueError(f"address pattern {text!r} holds a space or a control character")
    if text == "*":
        return AddressPattern("*", "*", "")
    local, at, domain = text.rpartition("@")
    if not at:
        local = "*"
    if not local or "@" in local:
        raise ValueError(f"address pattern {text!r} needs one local part before one '@'")
    if domain == "*":
        return AddressPattern(f"{local}@*", local, "")
    subdomains = domain.startswith("*.")
    name = domain[2:] if subdomains else domain
    if not name or "*" in name or "?" in name:
        raise ValueError(
            f"address pattern {text!r}: a domain takes '*' only alone or as a leading '*.'"
        )
    if name.startswith(".") or name.endswith(".") or ".." in name:
        raise ValueError(f"address pattern {text!r}: {name!r} is not a domain name")
    if name.isascii() and not set(name) <= _DOMAIN_CHARS:
        raise ValueError(f"address pattern {text!r}: {name!r} is not a domain name")
    return AddressPattern(f"{local}@{domain}", local, name, subdomains)


def _glob(pattern: str, text: str) -> bool:
    """`*` and `?` wildcard match, iterative, backtracking only to the last `*` seen."""
    p = t = 0
    star, mark = -1, 0
    while t < len(text):
        if p < len(pattern) and pattern[p] == "*":
            star, mark = p, t
            p += 1
        elif p < len(pattern) and pattern[p] in ("?", text[t]):
            p += 1
            t += 1
        elif star >= 0:
            p = star + 1
            mark += 1
            t = mark
        else:
            return False
    return all(c == "*" for c in pattern[p:])
