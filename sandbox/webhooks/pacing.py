"""Webhook attempts yield to ingest: while mail comes in faster than the event loop keeps up,
attempts get a trickle of turns and the SMTP sink the rest; otherwise they run freely.

Both share one event loop, so one core. Delivering an event to an endpoint costs a good part of
what ingesting a message does (measured: ~100 us against ~350 us of CPU), and a message makes
two events or more: sent alongside a burst of mail, webhooks would take a third of its speed.
They are asynchronous and retried anyway, and a provider's own queue delays them as much, so
during a burst they wait: ingest first, webhooks with what is left over.

"Faster than the loop keeps up" is read from a heartbeat that runs while mail is arriving: a
timer every `BEAT` seconds, and how late the loop runs it. An idle loop wakes it on time; a
saturated one only after the rest of its iteration (measured on a loaded 2-core machine: median
0.2 ms idle, 7 ms saturated, 0.8 ms half busy). Past `slack` (median of the last `WINDOW`
beats), attempts get `rate` turns a second, until the loop catches up or mail stops coming.
The heartbeat's time is asyncio's own: it is about the loop, not about simulated time.

Why 300 turns a second: it is the trade between ingest during a burst and the delivery latency
of healthy endpoints while another hangs. On a quiet 2-core machine (bench/webhooks.py), 300 kept
the others' p99 at 22-33 ms with one endpoint hanging (goal 50) where 50 let it reach 336 ms;
a burst of workload b with one endpoint ran at 0.56-0.85x of ingest without the simulator with
300 and 0.68x with 50, within the run-to-run noise. What waits is sent as soon as the burst
ends.
"""

from __future__ import annotations

import asyncio
import statistics
from collections import deque

BEAT = 0.01
WINDOW = 8


class Pacer:
    """Decides when a piece of background work may run (see the module's docstring)."""

    def __init__(
        self,
        *,
        rate: float = 300.0,
        slack: float = 0.002,
        quiet: float = 0.25,
        enabled: bool = True,
    ) -> None:
        self._rate, self._slack, self._quiet, self._enabled = rate, slack, quiet, enabled
        self._late: deque[float] = deque(maxlen=WINDOW)
        self._last_ingest = float("-inf")
        self._beat: asyncio.TimerHandle | None = None
        self._tokens = 0.0
        self._filled = 0.0
        self.waits = 0  # turns that had to wait (for benchmarks and tests)

    def ingested(self) -> None:
        """Mail was just stored (called on the event loop)."""
        if not self._enabled:
            return
        loop = asyncio.get_running_loop()
        self._last_ingest = loop.time()
        if self._beat is None:
            self._late.clear()
            self._schedule(loop)

    @property
    def pressed(self) -> bool:
        """Mail is arriving and the loop is behind: background work waits its turn."""
        return (
            self._beat is not None
            and len(self._late) >= 3
            and (statistics.median(self._late) > self._slack)
        )

    async def turn(self) -> None:
        """Return when the caller may do one piece of background work."""
        while self.pressed:
            now = asyncio.get_running_loop().time()
            # The bucket holds a beat's worth of turns, and at least one (a slow rate).
            room = max(1.0, self._rate * BEAT)
            self._tokens = min(room, self._tokens + (now - self._filled) * self._rate)
            self._filled = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return
            self.waits += 1
            await asyncio.sleep((1.0 - self._tokens) / self._rate)

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
