"""Send-rate limits and daily quotas per credential, answered the way each provider answers.

A credential (a mailbox, an API key, an SMTP user: the engine chooses) has `Limits`: a token
bucket refilled at `rate` per second holding `burst` tokens, and a quota of `daily` sends per
rolling 24 hours. `Throttle.acquire()` charges one send and returns `Allowed` or `Throttled`;
both carry what each surface needs to answer, so no surface computes a header or a text:

- SES v2: `TooManyRequestsException` 429 `Maximum sending rate exceeded.` (observed); the daily
  quota as `LimitExceededException` 400 `Daily message quota exceeded.` (the text SES v1 and its
  SMTP interface use; the v2 code is what third-party clients assume: providers.md A3).
  Over SES's SMTP interface: `454 Throttling failure: ...` (A10).
- Resend: 429 `rate_limit_exceeded` `Too many requests. You can only make 2 requests per
  second.` or `daily_quota_exceeded`, with `ratelimit-limit/-remaining/-reset` on every answer
  and `retry-after` on a 429 (D4, D5).
- Plain SMTP: `451 4.7.1` for the rate (try again on this connection) and `421 4.7.0` for the
  quota (nothing more will pass today, so the server closes), each with a rate message.

What a send costs is the caller's to say, because the providers count differently: SES counts
recipients against both the rate and the quota, except that mailbox-simulator recipients count
toward the rate only (Part B); Resend's rate counts requests and its quota recipients, test
addresses included (D5). Hence `rate_cost` and `quota_cost`.

A refused send costs nothing. A send larger than the whole bucket passes when the bucket is full
and leaves it in debt: SES sends a 50-recipient message on a 14/s account and throttles what
follows, and refusing it forever would be a limit no provider has.

Memory: one small state per credential seen within the last day, the quota kept as per-minute
counts (at most 1,440, 16 bytes each), the idle ones pruned as others arrive, at most
`max_credentials` kept: 1,000 credentials sending every minute of a day hold ~25 MB.
A send counts toward the quota until 24 hours after the start of its minute, so the window may
free a send up to a minute early and never late: advancing a frozen clock by 24 hours always
frees the sends made before.
"""

from __future__ import annotations

import math
from array import array
from collections import OrderedDict
from dataclasses import dataclass, field
from enum import StrEnum

from mailyard.sandbox.clock import Clock

WINDOW = 86400.0
MINUTE = 60
COMPACT = 256  # drop expired slots from the arrays' front once this many pile up
# Unix time as a float is exact to ~0.24 µs today, so a refill after 1/14 s at 14/s can come out
# a few millionths of a token short; a microsecond of slack makes it the whole token it is.
SLACK = 1e-6


class Limit(StrEnum):
    RATE = "rate"
    QUOTA = "quota"


@dataclass(frozen=True)
class Limits:
    """`rate` sends per second (None: no limit), `burst` bucket size, `daily` per 24 hours."""

    rate: float | None = None
    burst: int | None = None  # default: the rate rounded up, at least 1
    daily: int | None = None

    @classmethod
    def ses(cls, max_send_rate: float, max_24_hour_send: float) -> Limits:
        """From SES's `SendQuota` (A6): `Max24HourSend` -1 means unlimited."""
        daily = None if max_24_hour_send < 0 else int(max_24_hour_send)
        return cls(rate=max_send_rate if max_send_rate > 0 else None, daily=daily)

    @property
    def capacity(self) -> int:
        if self.burst is not None:
            return max(1, self.burst)
        return max(1, math.ceil(self.rate)) if self.rate else 0


SES_SANDBOX = Limits.ses(1.0, 200.0)  # a new SES account (A6)
RESEND_FREE = Limits(rate=2.0, daily=100)  # Resend's free team; docs now say 5/s for some (D5)


@dataclass(frozen=True)
class Allowed:
    """The send may go; `limit`/`remaining`/`reset` describe the rate bucket (None: no limit)."""

    limit: int | None = None
    remaining: int | None = None
    reset: int = 1

    def resend_headers(self) -> dict[str, str]:
        """Resend puts these on every response (D5)."""
        if self.limit is None or self.remaining is None:
            return {}
        return {
            "ratelimit-limit": str(self.limit),
            "ratelimit-remaining": str(self.remaining),
            "ratelimit-reset": str(self.reset),
        }


@dataclass(frozen=True)
class Throttled:
    """The send is refused: which limit, its value, and when to try again (whole seconds)."""

    limit: Limit
    allowed: float  # sends per second (RATE) or per 24 hours (QUOTA)
    retry_after: int
    capacity: int = 0  # the bucket size, for `ratelimit-limit`
    reset: int = 1

    @property
    def ses_error(self) -> tuple[int, str, str]:
        """(HTTP status, `x-amzn-ErrorType` code, message) for SES v2."""
        if self.limit is Limit.RATE:
            return 429, "TooManyRequestsException", "Maximum sending rate exceeded."
        return 400, "LimitExceededException", "Daily message quota exceeded."

    @property
    def ses_smtp_reply(self) -> str:
        """SES's SMTP interface (A10)."""
        if self.limit is Limit.RATE:
            return "454 Throttling failure: Maximum sending rate exceeded"
        return "454 Throttling failure: Daily message quota exceeded"

    @property
    def resend_error(self) -> tuple[int, str, str]:
        """(HTTP status, `name`, `message`) of Resend's error body (D4)."""
        if self.limit is Limit.RATE:
            message = f"Too many requests. You can only make {self.allowed:g} requests per second."
            return 429, "rate_limit_exceeded", message
        return 429, "daily_quota_exceeded", "You have reached your daily email sending quota."

    def resend_headers(self) -> dict[str, str]:
        headers = {"retry-after": str(self.retry_after)}
        if self.limit is Limit.RATE:
            headers |= {
                "ratelimit-limit": str(self.capacity),
                "ratelimit-remaining": "0",
                "ratelimit-reset": str(self.reset),
            }
        return headers

    @property
    def smtp_reply(self) -> str:
        """A plain SMTP server's answer; a `421` means the server closes the connection."""
        if self.limit is Limit.RATE:
            return (
                f"451 4.7.1 Rate limit exceeded: at most {self.allowed:g} messages per second,"
                f" try again in {self.retry_after} s"
            )
        return (
            f"421 4.7.0 Daily message quota of {self.allowed:g} exceeded,"
            f" try again in {self.retry_after} s"
        )

    @property
    def smtp_closes(self) -> bool:
        return self.smtp_reply.startswith("421")


@dataclass
class _State:
    tokens: float
    stamp: float
    rate: float | None
    capacity: int
    sent: int = 0
    # The quota window as two queues in flat arrays (16 bytes a minute, not ~100 as objects):
    # minute numbers (Unix time // 60) and the sends counted in each, live from `head` on.
    minutes: array[int] = field(default_factory=lambda: array("q"))
    counts: array[int] = field(default_factory=lambda: array("q"))
    head: int = 0


class Throttle:
    """Token buckets and rolling quotas for every credential, on the injected clock."""

    def __init__(self, clock: Clock, *, max_credentials: int = 1000) -> None:
        self.clock = clock
        self.max_credentials = max_credentials
        self._states: OrderedDict[str, _State] = OrderedDict()

    def acquire(
        self,
        credential: str,
        limits: Limits,
        *,
        rate_cost: int = 1,
        quota_cost: int | None = None,
    ) -> Allowed | Throttled:
        """Charge one send (`rate_cost` tokens, `quota_cost` toward the day) or refuse it."""
        quota_cost = rate_cost if quota_cost is None else quota_cost
        now = self.clock.now()
        state = self._state(credential, limits, now)
        if limits.daily is not None and quota_cost and state.sent + quota_cost > limits.daily:
            return Throttled(Limit.QUOTA, limits.daily, self._quota_wait(state, limits, quota_cost))
        if limits.rate:
            need = min(rate_cost, state.capacity)
            if state.tokens + SLACK * limits.rate < need:
                wait = _seconds((need - state.tokens) / limits.rate)
                full = _seconds((state.capacity - state.tokens) / limits.rate)
                return Throttled(Limit.RATE, limits.rate, wait, state.capacity, full)
            state.tokens -= rate_cost
        if quota_cost:
            minute = int(now // MINUTE)
            if len(state.minutes) > state.head and state.minutes[-1] == minute:
                state.counts[-1] += quota_cost
            else:
                state.minutes.append(minute)
                state.counts.append(quota_cost)
            state.sent += quota_cost
        if not limits.rate:
            return Allowed()
        remaining = max(0, math.floor(state.tokens + SLACK * limits.rate))
        return Allowed(
            state.capacity, remaining, _seconds((state.capacity - state.tokens) / limits.rate)
        )

    def sent_last_24h(self, credential: str) -> int:
        """SES's `SentLast24Hours` (A6): what counted toward the quota in the rolling window."""
        state = self._states.get(credential)
        if state is None:
            return 0
        _expire(state, self.clock.now())
        return state.sent

    def forget(self, credential: str) -> None:
        self._states.pop(credential, None)

    def __len__(self) -> int:
        return len(self._states)

    def _state(self, credential: str, limits: Limits, now: float) -> _State:
        state = self._states.pop(credential, None)
        if state is None:
            state = _State(float(limits.capacity), now, limits.rate, limits.capacity)
        elif limits.rate:
            elapsed = max(0.0, now - state.stamp)  # the real clock may step back
            state.tokens = min(float(limits.capacity), state.tokens + elapsed * limits.rate)
        state.stamp, state.rate, state.capacity = now, limits.rate, limits.capacity
        _expire(state, now)
        self._prune(now)
        self._states[credential] = state  # the most recently used go last
        return state

    def _prune(self, now: float) -> None:
        """Drop credentials whose state is a fresh one's (full bucket, nothing in the window)."""
        for _ in range(2):  # two per call outpaces one new credential per call
            if not self._states:
                return
            credential, state = next(iter(self._states.items()))
            refill = (now - state.stamp) * state.rate if state.rate else math.inf
            refilled = state.tokens + refill + SLACK * (state.rate or 0) >= state.capacity
            if not refilled or _expire(state, now):
                break
            del self._states[credential]
        while len(self._states) >= self.max_credentials:
            self._states.popitem(last=False)

    @staticmethod
    def _quota_wait(state: _State, limits: Limits, cost: int) -> int:
        """Seconds until enough of the window has expired for `cost` more sends to fit."""
        assert limits.daily is not None
        excess = state.sent + cost - limits.daily
        if cost > limits.daily:
            return int(WINDOW)  # never fits; say "tomorrow" rather than a lie
        freed = 0
        for index in range(state.head, len(state.minutes)):
            freed += state.counts[index]
            if freed >= excess:
                return _seconds(state.minutes[index] * MINUTE + WINDOW - state.stamp)
        return int(WINDOW)


def _expire(state: _State, now: float) -> int:
    """Drop minutes that left the window; return what is still counted."""
    while state.head < len(state.minutes) and state.minutes[state.head] * MINUTE + WINDOW <= now:
        state.sent -= state.counts[state.head]
        state.head += 1
    if state.head >= COMPACT or state.head == len(state.minutes):
        del state.minutes[: state.head]
        del state.counts[: state.head]
        state.head = 0
    return state.sent


def _seconds(value: float) -> int:
    """Whole seconds for a header: rounded up, at least 1 (a `retry-after: 0` invites a spin)."""
    return max(1, math.ceil(value - SLACK))
