"""Rate limits: the admin's email-test (a sliding window) and the public reset and signup
endpoints (token buckets per client address and per target email address).

Rate limits are about real time, not the simulated clock a test may move (`--clock-control`
moves mailyard's clock an hour to expire a link; that must not refill anyone's budget), so
`now` is a monotonic reading the caller injects. Memory is bounded: `RateLimit` keeps at most
`limit` stamps per key, `Buckets` two floats per key, and both at most `max_keys` keys (the
least recently used key is dropped first).

The public limits keep the spec's anti-enumeration rule. They count requests, never accounts:
the bucket of an email address fills the same whether or not it has an account, and nothing
is looked up before the answer, so a limited request gets the same 429 (status, body,
Retry-After) for a known and an unknown address, and an unlimited one the same 200.
"""

from __future__ import annotations

import ipaddress
import math
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from mailyard.sandbox.auth.errors import RateLimitedError
from mailyard.sandbox.auth.inputs import check_email


class RateLimit:
    """At most `limit` actions per `window` seconds per key (the admin's email-test)."""

    def __init__(
        self, limit: int, window: float, now: Callable[[], float], *, max_keys: int = 1024
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a rate limit needs limit >= 1 and a positive window")
        self.limit = limit
        self.window = window
        self._now = now
        self._max_keys = max_keys
        self._stamps: OrderedDict[str, deque[float]] = OrderedDict()

    def take(self, key: str = "", what: str = "requests") -> None:
        """Count one action for `key`; RateLimitedError (with Retry-After) past the limit."""
        now = self._now()
        stamps = self._stamps.pop(key, None) or deque()
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        self._stamps[key] = stamps  # most recently used last
        while len(self._stamps) > self._max_keys:
            self._stamps.popitem(last=False)
        if len(stamps) >= self.limit:
            retry = max(1.0, round(stamps[0] + self.window - now, 1))
            raise RateLimitedError(
                f"at most {self.limit} {what} per {self.window:g} s; try again in {retry:g} s",
                retry,
            )
        stamps.append(now)


@dataclass(frozen=True)
class Rate:
    """A token bucket: `burst` actions at once, then one more every `every` seconds."""

    burst: int
    every: float

    def __post_init__(self) -> None:
        if self.burst < 1 or not self.every > 0:
            raise ValueError("a rate needs burst >= 1 and a positive interval")

    def __str__(self) -> str:
        return f"{self.burst} at once, then one every {self.every:g} s"


class Buckets:
    """One token bucket per key, refilled lazily when the key is next seen: O(1) per call."""

    def __init__(self, rate: Rate, now: Callable[[], float], *, max_keys: int = 10_000) -> None:
        self.rate = rate
        self._now = now
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, when

    def take(self, key: str, what: str) -> None:
        """Spend one token of `key`'s bucket; RateLimitedError (with Retry-After) if empty."""
        now, rate = self._now(), self.rate
        tokens, last = self._buckets.pop(key, (float(rate.burst), now))
        tokens = min(float(rate.burst), tokens + max(0.0, now - last) / rate.every)
        spent = tokens >= 1
        self._buckets[key] = (tokens - 1 if spent else tokens, now)  # most recently used last
        if len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
        if not spent:
            retry = max(1, math.ceil((1 - tokens) * rate.every))
            raise RateLimitedError(f"too many {what}: {rate}; try again in {retry} s", float(retry))

    def __len__(self) -> int:
        return len(self._buckets)


@dataclass(frozen=True)
class PublicRates:
    """The public endpoints' limits, sized around `mailyard checklist`, their heaviest
    legitimate client: a run makes 47 reset requests from one address within about 2 s (its
    steps, 2 x 2 warm-up calls and the 2 x 20 timing samples of the enumeration check), 25 of
    them for its test user and 22 for an address without an account, and one signup.

    - reset, per client address: 240 at once, then one a second. Five runs back to back fit,
      then one run a minute; a script is held to 3600 an hour from one address (an IPv6 /64).
    - reset, per email address: 50 at once, then 50 an hour (one every 72 s). A run uses a
      fresh address, and two runs back to back with the same --email fit; what it guards is
      one person's inbox, which a script can fill with at most 50 reset emails and 50 an hour
      more, from any number of client addresses.
    - signup, per client address: 30 at once, then one every 10 s (each costs a scrypt hash).
    - signup, per email address: 5 at once, then one every 10 minutes (an address signs up
      once; the rest are 409s, or someone trying).
    """

    reset_per_client: Rate = Rate(240, 1.0)
    reset_per_address: Rate = Rate(50, 72.0)
    signup_per_client: Rate = Rate(30, 10.0)
    signup_per_address: Rate = Rate(5, 600.0)


def client_key(host: str | None) -> str:
    """The key of a client address: an IPv4 address, or an IPv6 address's /64 (one host
    usually holds a whole /64, so per-address keys would not limit it)."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]  # a test transport's name, a Unix socket
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # ::ffff:192.0.2.1 is 192.0.2.1
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class PublicLimits:
    """The reset and signup endpoints' limits. Each call counts one request of `client`
    (`client_key`), then, if the email is well formed, one for the address (case-folded)."""

    def __init__(self, now: Callable[[], float], rates: PublicRates | None = None) -> None:
        self.rates = rates or PublicRates()
        self._reset_client = Buckets(self.rates.reset_per_client, now)
        self._reset_address = Buckets(self.rates.reset_per_address, now)
        self._signup_client = Buckets(self.rates.signup_per_client, now)
        self._signup_address = Buckets(self.rates.signup_per_address, now)

    def reset(self, client: str, email: object) -> None:
        self._reset_client.take(client, "password-reset requests from your IP address")
        address = check_email(email).lower()
        self._reset_address.take(address, "password-reset requests for this email address")

    def signup(self, client: str, email: object) -> None:
        self._signup_client.take(client, "signups from your IP address")
        address = check_email(email).lower()
        self._signup_address.take(address, "signups for this email address")
