"""The pacer: background work runs freely unless mail is arriving while the event loop is behind;
then it gets a bounded share of the loop's time, and runs freely again once mail stops.

The loop is held up the way a burst of ingest holds it up: callbacks that keep it busy (here by
blocking it for 15 ms at a time, ten times the pacer's slack), each reporting a stored message.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

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


async def turns(pacer: Pacer, count: int, cost: float = 0.001) -> None:
    """`count` pieces of work, each reporting that it ran `cost` seconds."""
    for _ in range(count):
        pacer.spent(cost, await pacer.turn())


async def test_without_mail_arriving_work_never_waits() -> None:
    pacer = Pacer()
    await turns(pacer, 1000)
    assert not pacer.pressed and pacer.waits == 0


async def test_a_busy_loop_with_mail_arriving_rations_turns_until_mail_stops() -> None:
    pacer = Pacer(share=0.05)
    burst = Burst(pacer)
    try:
        await until(lambda: pacer.pressed)
        await turns(pacer, 20)  # 20 ms of work, more than a beat's share (0.5 ms): some wait
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


async def test_while_pressed_work_gets_its_share_of_the_loop_and_no_more() -> None:
    share, cost = 0.05, 0.002
    pacer = Pacer(share=share)
    burst = Burst(pacer)
    loop = asyncio.get_running_loop()
    try:
        await until(lambda: pacer.pressed)
        began, done = loop.time(), 0
        while loop.time() - began < 0.5:
            reserved = await pacer.turn()
            assert pacer.pressed, "the burst was meant to last the whole measurement"
            assert reserved > 0
            pacer.spent(cost, reserved)
            done += 1
        elapsed = loop.time() - began
    finally:
        burst.stop()
    pacer.close()
    # The credit grows by `share` of the time that passed, from at most one beat's worth
    # (or one piece of work): what ran cannot exceed it by more than the last piece.
    assert done * cost <= share * elapsed + max(share * 0.01, cost) + cost
    assert done >= 2  # and it was not starved either


@pytest.mark.parametrize("share", [0.0, -0.1, 1.5])
def test_a_share_outside_0_to_1_is_refused(share: float) -> None:
    with pytest.raises(ValueError, match="share"):
        Pacer(share=share)
