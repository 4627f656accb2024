"""The pacer: background work runs freely unless mail is arriving while the event loop is behind;
then it gets turns at a bounded rate, and runs freely again once mail stops.

The loop is held up the way a burst of ingest holds it up: callbacks that keep it busy (here by
blocking it for 15 ms at a time, ten times the pacer's slack), each reporting a stored message.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from mailyard.sandbox.webhooks.pacing import Pacer

HOLD = 0.015  # seconds each busy callback holds the loop


async def until(condition: Callable[[], bool], timeout: float = 30) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.005)

    await asyncio.wait_for(poll(), timeout)


class Burst:
    """Keeps the loop busy and reports ingest at each turn, until stopped."""

    def __init__(self, pacer: Pacer) -> None:
        self.pacer, self.running = pacer, True
        asyncio.get_running_loop().call_soon(self._step)

    def _step(self) -> None:
        if not self.running:
            return
        self.pacer.ingested()
        time.sleep(HOLD)  # a busy loop, as mail coming in makes it (not a wait for anything)
        asyncio.get_running_loop().call_soon(self._step)

    def stop(self) -> None:
        self.running = False


async def turns(pacer: Pacer, count: int) -> None:
    for _ in range(count):
        await pacer.turn()


async def test_without_mail_arriving_work_never_waits() -> None:
    pacer = Pacer()
    await turns(pacer, 1000)
    assert not pacer.pressed and pacer.waits == 0


async def test_a_busy_loop_with_mail_arriving_rations_turns_until_mail_stops() -> None:
    pacer = Pacer(rate=50.0)
    burst = Burst(pacer)
    try:
        await until(lambda: pacer.pressed)
        await turns(pacer, 20)  # more than the bucket holds (rate x beat): some must wait
        assert pacer.waits > 0
    finally:
        burst.stop()
    await until(lambda: not pacer.pressed)  # the heartbeat stops once mail has stopped
    before = pacer.waits
    await turns(pacer, 100)
    assert pacer.waits == before
    pacer.close()


async def test_a_disabled_pacer_never_holds_work_back() -> None:
    pacer = Pacer(enabled=False)
    burst = Burst(pacer)
    try:
        await turns(pacer, 50)
        await asyncio.sleep(HOLD * 5)  # let the burst run a few rounds (nothing waits on it)
        assert not pacer.pressed
    finally:
        burst.stop()
    assert pacer.waits == 0
