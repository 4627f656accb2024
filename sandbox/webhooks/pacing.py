"""Webhook attempts yield to ingest: while mail comes in faster than the event loop keeps up,
attempts get a small share of the loop's time and the SMTP sink the rest; otherwise they run
freely.

Both share one event loop, so one core. Delivering an event to an endpoint costs a good part of
what ingesting a message does (measured: 100-400 us against 350-800 us of CPU, by machine), and
a message makes two events or more: sent alongside a burst of mail, webhooks would take a third
of its speed or more. They are asynchronous and retried anyway, and a provider's own queue
delays them as much, so during a burst they wait: ingest first, webhooks with what is left over.

"Faster than the loop keeps up" is read from a heartbeat that runs while mail is arriving: a
timer every `BEAT` seconds, and how late the loop runs it. An idle loop wakes it on time; a
saturated one only after the rest of its iteration (measured on a loaded 2-core machine: median
0.2 ms idle, 7 ms saturated, 0.8 ms half busy). Past `slack` (median of the last `WINDOW`
beats), attempts may use `share` of the loop's time, until the loop catches up or mail stops
coming. The heartbeat's time is asyncio's own: it is about the loop, not about simulated time.

A share of time, not a number of turns a second: what one attempt costs differs fourfold
between a quiet machine and a busy one, and a fixed rate (it was 300 a second) took 12 % of the
loop on the first and 30 % on the second (bench/webhooks.py a: 0.57x of ingest without the
simulator, on a busy VM). Each attempt reports what it cost (`spent`: the time it ran on the
loop, not the time it waited for its endpoint); `turn` reserves the recent average cost, so
many lanes asking at once cannot all go before the first has paid. What waits is sent as soon
as the burst ends.
"""

from __future__ import annotations

import asyncio
from collections import deque

BEAT = 0.01
WINDOW = 8
SHARE = 0.04  # of the loop's time while pressed: ingest keeps >= 0.95x (bench/webhooks.py a)
SMOOTHING = 0.05  # weight of the newest cost in the running average
FIRST_COST = 0.0003  # seconds: an attempt's cost before any was measured


class Pacer:
    """Decides when a piece of background work may run (see the module's docstring)."""

    def __init__(
        self,
        *,
        share: float = SHARE,
        slack: float = 0.002,
        quiet: float = 0.25,
        enabled: bool = True,
    ) -> None:
        if not 0 < share <= 1:
            raise ValueError("share must be above 0 and at most 1")
        self._share, self._slack, self._quiet, self._enabled = share, slack, quiet, enabled
        self._late: deque[float] = deque(maxlen=WINDOW)
        self._last_ingest = float("-inf")
        self._beat: asyncio.TimerHandle | None = None
        self._credit = 0.0  # seconds of loop time background work may still use
        self._filled = 0.0
        self._cost = FIRST_COST  # the recent average cost of one piece of work, in seconds
        self.waits = 0  # turns that had to wait (for benchmarks and tests)

    def ingested(self) -> None:
        """Mail was just stored (called on the event loop)."""
        if not self._enabled:
            return
        loop = asyncio.get_running_loop()
        self._last_ingest = loop.time()
        if self._beat is None:
            self._late.clear()
            self._credit, self._filled = self._room, loop.time()
            self._schedule(loop)

    @property
    def pressed(self) -> bool:
        """Mail is arriving and the loop is behind: background work waits its turn."""
        return (
            self._beat is not None and len(self._late) >= 3 and (_median(self._late) > self._slack)
        )

    async def turn(self) -> float:
        """Return when the caller may do one piece of background work, with the seconds of
        loop time reserved for it (0 when nothing was rationed): hand them back to `spent`."""
        while self.pressed:
            now = asyncio.get_running_loop().time()
            self._credit = min(self._room, self._credit + (now - self._filled) * self._share)
            self._filled = now
            if self._credit > 0:
                self._credit -= self._cost
                return self._cost
            self.waits += 1
            await asyncio.sleep(-self._credit / self._share)
        return 0.0

    def spent(self, seconds: float, reserved: float) -> None:
        """A piece of work ran `seconds` on the loop; `reserved` is what its `turn` returned."""
        self._cost += (seconds - self._cost) * SMOOTHING
        if reserved:
            self._credit += reserved - seconds

    @property
    def _room(self) -> float:
        # The credit a beat's worth of share can hold, and at least one piece of work.
        return max(self._share * BEAT, self._cost)

    def close(self) -> None:
        if self._beat is not None:
            self._beat.cancel()
            self._beat = None

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        due = loop.time() + BEAT
        self._beat = loop.call_at(due, self._on_beat, loop, due)

    def _on_beat(self, loop: asyncio.AbstractEventLoop, due: float) -> None:
        now = loop.time()
        self._late.append(now - due)
        if now - self._last_ingest > self._quiet:
            self._beat = None  # mail stopped: no heartbeat, no limit
            self._late.clear()
            return
        self._schedule(loop)


def _median(values: deque[float]) -> float:
    """The median of a few values (WINDOW): the `statistics` module would cost `mailyard serve`
    ~6 ms of start-up for it (it imports fractions and decimal)."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
