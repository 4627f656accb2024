"""The outbox (work after the answer) and the email-test rate limit."""

from __future__ import annotations

import asyncio
import logging

import pytest

from mailyard.sandbox.auth.errors import RateLimitedError
from mailyard.sandbox.auth.limits import RateLimit
from mailyard.sandbox.auth.outbox import Outbox


async def test_jobs_run_in_order_after_put_returns_and_a_failure_stops_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    outbox, done = Outbox(), []

    def job(n: int) -> object:
        async def run() -> None:
            if n == 1:
                raise RuntimeError("boom")
            done.append(n)

        return run

    outbox.start()
    for n in range(4):
        outbox.put(job(n))  # type: ignore[arg-type]
    assert done == []  # nothing ran inside put
    with caplog.at_level(logging.ERROR, "mailyard.auth"):
        await asyncio.wait_for(outbox.idle(), 5)
    assert done == [0, 2, 3] and outbox.done == 4
    assert "an auth outbox job failed" in caplog.text
    await outbox.close()


async def test_a_full_outbox_drops_and_logs_without_telling_the_caller(
    caplog: pytest.LogCaptureFixture,
) -> None:
    outbox = Outbox(limit=2)
    ran: list[int] = []

    async def job() -> None:
        ran.append(1)

    with caplog.at_level(logging.WARNING, "mailyard.auth"):
        for _ in range(3):
            outbox.put(job)  # no worker yet: the queue fills
    assert outbox.dropped == 1 and "outbox is full" in caplog.text
    outbox.start()
    await outbox.close()  # finishes what was queued
    assert ran == [1, 1]


def test_the_rate_limit_slides_and_says_when_to_retry() -> None:
    now = [0.0]
    limit = RateLimit(2, 60.0, lambda: now[0])
    limit.take("admin")
    now[0] = 30.0
    limit.take("admin")
    with pytest.raises(RateLimitedError) as caught:
        limit.take("admin", "test sends")
    assert caught.value.retry_after == 30.0
    assert "at most 2 test sends per 60 s" in str(caught.value)
    limit.take("someone else")
    now[0] = 60.0  # the first stamp has left the window
    limit.take("admin")


def test_the_rate_limit_keeps_a_bounded_number_of_keys() -> None:
    limit = RateLimit(1, 60.0, lambda: 0.0, max_keys=3)
    for key in range(10):
        limit.take(str(key))
    assert len(limit._stamps) == 3


async def test_a_job_waits_to_settle_before_it_starts() -> None:
    """The send does not start while the answer that queued it is still being read: it waits
    `settle` (on the injected sleeper), so its work falls on later requests of either kind."""
    asked: list[float] = []
    release = asyncio.Event()
    ran: list[int] = []

    async def sleep(seconds: float) -> None:
        asked.append(seconds)
        await release.wait()

    async def job() -> None:
        ran.append(1)

    outbox = Outbox(settle=0.25, sleep=sleep)
    outbox.start()
    outbox.put(job)
    for _ in range(20):  # the worker has had every chance to run it
        await asyncio.sleep(0)
    assert ran == [] and len(asked) == 1 and 0 < asked[0] <= 0.25
    release.set()
    await asyncio.wait_for(outbox.idle(), 5)
    assert ran == [1]
    await outbox.close()
