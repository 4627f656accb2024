"""The injected clock: frozen and movable time, timers that fire when time is moved."""

from __future__ import annotations

import asyncio
import math

import pytest

from mailyard.sandbox.clock import Clock, ClockError


def test_frozen_clock_stands_still_until_advanced() -> None:
    clock = Clock.frozen(1000.0)
    assert clock.now() == 1000.0
    assert clock.advance(30) == 1030.0
    assert clock.stamp() == ("1970-01-01T00:17:10.000000Z", 1030.0)


def test_real_clock_refuses_to_move() -> None:
    with pytest.raises(ClockError, match="--clock-control"):
        Clock().advance(1)


@pytest.mark.parametrize("seconds", [-1, math.nan])
def test_clock_never_moves_back(seconds: float) -> None:
    with pytest.raises(ClockError):
        Clock.frozen().advance(seconds)


async def test_advancing_runs_due_timers_in_order_and_only_those() -> None:
    clock = Clock.frozen(0)
    fired: list[str] = []
    clock.call_at(20, lambda: fired.append("b"))
    clock.call_at(10, lambda: fired.append("a"))
    clock.call_at(99, lambda: fired.append("late"))
    cancelled = clock.call_at(5, lambda: fired.append("cancelled"))
    cancelled.cancel()
    clock.advance(25)
    assert fired == ["a", "b"]
    assert clock.pending() == 1


async def test_sleep_until_wakes_when_the_clock_is_moved() -> None:
    clock = Clock(movable=True)
    sleeper = asyncio.create_task(clock.sleep(3600))
    await asyncio.sleep(0)
    assert not sleeper.done()
    clock.advance(3600)
    await asyncio.wait_for(sleeper, 1)


async def test_movable_clock_still_follows_real_time() -> None:
    clock = Clock(movable=True)
    done = asyncio.Event()
    clock.call_later(0.01, done.set)
    await asyncio.wait_for(done.wait(), 2)
