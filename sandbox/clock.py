"""The clock everything time-dependent reads: message times, retention, `before:`/`after:`,
simulated delays, webhook backoff, token expiry.

One `Clock` runs in three ways:

- `Clock()`: the real time, the default.
- `Clock(movable=True)`: the real time plus an offset that `advance()` adds to. mailyard serves
  it with `--clock-control` so a test can say "an hour has passed" through the API instead of
  waiting an hour; everything scheduled on the clock that falls due runs at once.
- `Clock.frozen(t)`: time stands still at `t` until `advance()` moves it (unit tests).

Timers (`call_at`, `sleep_until`) are kept in one heap per clock and woken by one asyncio timer
for the earliest deadline, so ten thousand delayed deliveries cost one pending timer, not ten
thousand tasks. Timeouts of I/O (a long poll, an HTTP request) use asyncio's own time: they are
about the test's patience, not about simulated time.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime


class ClockError(Exception):
    """The clock cannot do what was asked (moving a clock that is not movable, moving it back)."""


@dataclass(order=True)
class _Timer:
    when: float
    order: int
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)


class TimerHandle:
    """What `call_at` returns: cancel it to drop the callback."""

    def __init__(self, timer: _Timer) -> None:
        self._timer = timer

    @property
    def when(self) -> float:
        return self._timer.when

    def cancel(self) -> None:
        self._timer.cancelled = True


class Clock:
    """Wall-clock seconds (Unix time), optionally movable, with timers on that time."""

    def __init__(self, *, movable: bool = False, start: float | None = None) -> None:
        self.movable = movable or start is not None
        self._frozen_at = start
        self._offset = 0.0
        self._heap: list[_Timer] = []
        self._order = itertools.count()
        self._wakeup: asyncio.Handle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def frozen(cls, start: float = 1_767_225_600.0) -> Clock:
        """A clock standing still at `start` (default 2026-01-01T00:00:00Z) until advanced."""
        return cls(start=start)

    # -- reading --------------------------------------------------------------------------

    def now(self) -> float:
        """Seconds since the epoch, as this clock sees them."""
        base = self._frozen_at if self._frozen_at is not None else time.time()
        return base + self._offset

    def utcnow(self) -> datetime:
        return datetime.fromtimestamp(self.now(), UTC)

    def stamp(self) -> tuple[str, float]:
        """Now as RFC 3339 text (UTC, microseconds) and as a Unix timestamp, from one reading."""
        now = self.now()
        return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), now

    @property
    def offset(self) -> float:
        """How far `advance()` has moved this clock, in seconds."""
        return self._offset

    # -- moving ---------------------------------------------------------------------------

    def advance(self, seconds: float) -> float:
        """Move the clock forward; runs every timer that falls due. Returns the new time."""
        if not self.movable:
            raise ClockError(
                "this clock follows the real time; start mailyard with --clock-control"
            )
        if not seconds >= 0:  # NaN too
            raise ClockError("the clock only moves forward")
        self._offset += seconds
        self._run_due()
        return self.now()

    # -- timers ---------------------------------------------------------------------------

    def call_at(self, when: float, callback: Callable[[], None]) -> TimerHandle:
        """Run `callback` on the event loop once `now() >= when` (at once if already due)."""
        timer = _Timer(when, next(self._order), callback)
        heapq.heappush(self._heap, timer)
        self._arm()
        return TimerHandle(timer)

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        return self.call_at(self.now() + delay, callback)

    async def sleep_until(self, when: float) -> None:
        """Return once the clock reaches `when`, by real time passing or by `advance()`."""
        if self.now() >= when:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def wake() -> None:
            if not future.done():
                future.set_result(None)

        handle = self.call_at(when, wake)
        try:
            await future
        finally:
            handle.cancel()

    async def sleep(self, seconds: float) -> None:
        await self.sleep_until(self.now() + seconds)

    def pending(self) -> int:
        """Timers not yet run or cancelled."""
        return sum(1 for t in self._heap if not t.cancelled)

    def close(self) -> None:
        """Drop every timer (the service is stopping)."""
        self._heap.clear()
        if self._wakeup is not None:
            self._wakeup.cancel()
            self._wakeup = None

    def _arm(self) -> None:
        """Keep one asyncio timer, for the earliest deadline on real time."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop yet: armed by the next call made on one
        self._loop = loop
        if self._wakeup is not None:
            self._wakeup.cancel()
            self._wakeup = None
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)
        if not self._heap:
            return
        delay = self._heap[0].when - self.now()
        if delay <= 0:
            self._wakeup = loop.call_soon(self._run_due)
        elif self._frozen_at is None:
            self._wakeup = loop.call_later(delay, self._run_due)
        # A frozen clock only moves by advance(): no real-time timer.

    def _run_due(self) -> None:
        self._wakeup = None
        now = self.now()
        due: list[_Timer] = []
        while self._heap and (self._heap[0].cancelled or self._heap[0].when <= now):
            timer = heapq.heappop(self._heap)
            if not timer.cancelled:
                due.append(timer)
        for timer in due:
            timer.cancelled = True
            timer.callback()
        self._arm()
