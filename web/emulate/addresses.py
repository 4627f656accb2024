"""`email.utils.parseaddr`, remembered: every emulated send parses its sender and recipients
several times (checks, the envelope, the message's headers), and an application sends from the
same few addresses to a small set of recipients, so the answers repeat.

The standard parser costs ~60 µs for `Name <addr>`, a tenth of an SES or Resend request's own
work; a cache hit costs well under a microsecond. The answer is the parser's, unchanged. Only
values up to `MAX_CACHED` characters are kept (an address line is at most 998 characters), and
at most `CACHE_SIZE` of them, so the memory a client can make it hold is bounded.
"""

from __future__ import annotations

from email.utils import parseaddr
from functools import lru_cache

MAX_CACHED = 998  # RFC 5322's line limit: longer values are parsed every time
CACHE_SIZE = 4096


@lru_cache(maxsize=CACHE_SIZE)
def _parsed(value: str) -> tuple[str, str]:
    return parseaddr(value)


def parse_address(value: str) -> tuple[str, str]:
    """(display name, address) as `parseaddr` gives them; ("", "") when there is none."""
    if len(value) > MAX_CACHED:
        return parseaddr(value)
    return _parsed(value)
