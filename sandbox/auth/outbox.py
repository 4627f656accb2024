"""Work the auth service does after it has answered: the password-reset email, chiefly.

The spec's anti-enumeration rule - the reset endpoint answers the same whether or not the
address has an account - holds for timing only if the request does the same work either way.
So the handler does no lookup at all: it queues the request here and answers. One worker task
takes jobs in order and runs them (lookup, token, render, send, send log); a failing job is
logged and the next runs.

Answering first is not enough on its own: a send started the moment the answer is written
competes for the CPU with the client reading that answer (one process, one GIL; on a busy
machine, the client's own process too), which made a known address measurably slower (the
checklist's enumeration check: +5.5 ms, p = 0.007). So a job waits `settle` seconds after it was
queued before it starts: its work then falls on whatever requests come later, of either kind,
instead of on the answer that queued it.

Bounded: at most `limit` jobs wait; past it a job is dropped and logged, which the caller does
not see (telling it would be the leak the queue exists to prevent). `idle()` is for tests;
`close()` finishes what is queued within a bound and then cancels the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("mailyard.auth")

Job = Callable[[], Awaitable[object]]
SETTLE = 0.02  # seconds between queueing a job and starting it (asyncio's time: real time)


class Outbox:
    def __init__(
        self,
        limit: int = 1000,
        *,
        settle: float = SETTLE,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._queue: asyncio.Queue[tuple[float, Job]] = asyncio.Queue(limit)
        self._worker: asyncio.Task[None] | None = None
        self._settle = settle
        self._sleep = sleep
        self.done = 0
        self.dropped = 0

    def start(self) -> None:
        if self._worker is None:
            self._worker = asyncio.get_running_loop().create_task(self._work())

    def put(self, job: Job) -> None:
        try:
            self._queue.put_nowait((_loop_time() + self._settle, job))
        except asyncio.QueueFull:
            self.dropped += 1
            log.warning(
                "the auth outbox is full (%d jobs): a send was dropped", self._queue.maxsize
            )

    async def idle(self) -> None:
        """Return once every job queued so far has run."""
        await self._queue.join()

    async def close(self, timeout: float = 5.0) -> None:
        if self._worker is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), timeout)
        self._worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._worker
        self._worker = None

    async def _work(self) -> None:
        while True:
            due, job = await self._queue.get()
            try:
                wait = due - _loop_time()
                if wait > 0:
                    await self._sleep(wait)
                await job()
            except Exception:
                log.exception("an auth outbox job failed")
            finally:
                self.done += 1
                self._queue.task_done()


def _loop_time() -> float:
    """The running loop's time; put() may be called before the worker starts, outside a loop
    (a test filling the queue): then the job is due at once."""
    try:
        return asyncio.get_running_loop().time()
    except RuntimeError:
        return float("-inf")
