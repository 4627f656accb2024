"""The attempt counter behind "fail N times then succeed": counts, settles, forgets, stays small."""

from __future__ import annotations

from mailyard.sandbox.clock import Clock
from mailyard.sandbox.simulate.attempts import AttemptCounter, key


def test_counts_per_key_and_settles() -> None:
    counter = AttemptCounter(Clock.frozen())
    a, b = key("m", "Fail-2x-451@Sim.Mailyard.Test", "fail-2x-451-rcpt"), key("m", "other@x", "s")
    assert [counter.attempt(a) for _ in range(3)] == [1, 2, 3]
    assert counter.attempt(key("m", "fail-2x-451@sim.mailyard.test", "fail-2x-451-rcpt")) == 4
    assert counter.attempt(b) == 1
    counter.settle(a)
    assert counter.attempt(a) == 1


def test_idle_entries_are_forgotten_on_the_clock() -> None:
    clock = Clock.frozen()
    counter = AttemptCounter(clock, idle=3600)
    a, b = key("m", "a@x", "s"), key("m", "b@x", "s")
    counter.attempt(a)
    clock.advance(1800)
    counter.attempt(b)
    clock.advance(1800)  # a idle for an hour, b for half
    assert counter.attempt(b) == 2
    assert len(counter) == 1
    assert counter.attempt(a) == 1


def test_bounded_by_max_entries_least_recently_used_first() -> None:
    counter = AttemptCounter(Clock.frozen(), max_entries=100)
    for i in range(1000):
        counter.attempt(key("m", f"r{i}@x", "s"))
    assert len(counter) == 100
    assert counter.attempt(key("m", "r999@x", "s")) == 2
    assert counter.attempt(key("m", "r0@x", "s")) == 1


def test_reset_one_mailbox_or_all() -> None:
    counter = AttemptCounter(Clock.frozen())
    counter.attempt(key("a", "r@x", "s"))
    counter.attempt(key("b", "r@x", "s"))
    counter.reset("a")
    assert counter.attempt(key("a", "r@x", "s")) == 1
    assert counter.attempt(key("b", "r@x", "s")) == 2
    counter.reset()
    assert len(counter) == 0
