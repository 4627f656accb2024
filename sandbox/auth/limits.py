"""A sliding-window rate limit: at most `limit` actions per `window` seconds per key.

Used for the spec's email-test (admin only, rate-limited: a test send is a real send, with the
same bounce and complaint accounting). Rate limits are about real time, not the simulated clock
a test may move, so `now` is a monotonic reading the caller injects. Memory is bounded: at most
`limit` stamps per key, and at most `max_keys` keys (the oldest key is dropped first).
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable

from mailyard.sandbox.auth.errors import RateLimitedError


class RateLimit:
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
