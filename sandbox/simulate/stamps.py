"""Times as each provider writes them, from the clock's float seconds.

| form | example | used by |
|---|---|---|
| `iso_ms` | `2017-10-30T13:42:11.941Z` | SES, SNS `Timestamp`, Resend top-level `created_at` |
| `iso_micro` | `2026-11-22T23:41:11.894719+00:00` | Resend's `data.created_at` (Postgres-style) |
| `iso_seconds` | `2025-01-15T10:30:01Z` | EventBridge `time` |

The sub-second forms round to their unit with integer arithmetic, so a float such as
`1509370931.941` (stored as ...940999...) still prints `.941`; whole seconds are the second the
moment falls in. The same input always prints the same text.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime


def _split(at: float, per_second: int) -> tuple[datetime, int]:
    ticks = round(at * per_second)
    seconds, fraction = divmod(ticks, per_second)
    return datetime.fromtimestamp(seconds, UTC), fraction


def iso_ms(at: float) -> str:
    """ISO-8601 UTC with milliseconds and `Z`: SES's and SNS's timestamps."""
    moment, ms = _split(at, 1000)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{ms:03d}Z"


def iso_micro(at: float) -> str:
    """ISO-8601 with microseconds and `+00:00`: Resend's `data.created_at`."""
    moment, us = _split(at, 1_000_000)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{us:06d}+00:00"


def iso_seconds(at: float) -> str:
    """ISO-8601 UTC to the second with `Z`: EventBridge's `time` (the second it happened in)."""
    moment, _ = _split(math.floor(at), 1)
    return f"{moment:%Y-%m-%dT%H:%M:%S}Z"


def epoch_ms(at: float) -> int:
    """Whole milliseconds since the epoch (SES ids carry them in hex)."""
    return round(at * 1000)
