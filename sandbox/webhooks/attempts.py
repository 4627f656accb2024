"""Running delivery attempts: a lane per endpoint, results written in groups, retries on the clock.

    attempts = Attempts(store, clock, client, build, endpoint_of, pacer=Pacer())
    attempts.submit(delivery, event)    # now (event: the delivery's, if at hand)
    attempts.at(when, delivery)         # at `when` on the injected clock (a retry)

Each endpoint has a lane: a queue and at most `per_endpoint` workers taking from it, one
attempt after another. A hanging endpoint holds its own workers and nobody else's; no task is
made per attempt (a task per POST was a tenth of a delivery's cost when fanning out).

An attempt's outcome is written with the others of the same loop iteration in one job
(`Webhooks.attempted_many`), and only once it is on disk is its retry put on the clock. A stop
(`close`) or a crash before that leaves the row pending, and the next start sends it again: a
delivery is never lost, at worst sent once more (at least once, as the providers promise).
A delivery has at most one attempt scheduled: sending it now (a redelivery) supersedes its retry.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from mailyard.sandbox.clock import Clock, TimerHandle
from mailyard.sandbox.store import Store
from mailyard.sandbox.store.event_records import StoredEvent
from mailyard.sandbox.store.webhooks import Attempt, Delivery, Endpoint
from mailyard.sandbox.webhooks.formats import RETRIES, TIMEOUT, Request
from mailyard.sandbox.webhooks.pacing import Pacer
from mailyard.senders.webhook import Answer, WebhookClient

log = logging.getLogger("mailyard.webhooks")

# (endpoint, delivery, its event if at hand, the signature's time) -> the request; raises
# LookupError when the event or its message is gone.
Build = Callable[[Endpoint, Delivery, StoredEvent | None, float], Request]


@dataclass
class _Lane:
    queue: deque[tuple[Delivery, StoredEvent | None]] = field(default_factory=deque)
    workers: int = 0


@dataclass(frozen=True)
class _Outcome:
    endpoint: Endpoint
    delivery: Delivery
    attempt: Attempt
    status: str  # succeeded | failed | pending
    next_attempt: float
    answer: Answer


class Attempts:
    """Makes attempts, records them, schedules retries."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        client: WebhookClient,
        build: Build,
        endpoint_of: Callable[[str], Endpoint | None],
        *,
        retry_scale: float = 1.0,
        timeout: float = TIMEOUT,
        per_endpoint: int = 10,
        pacer: Pacer | None = None,
    ) -> None:
        self._store, self._clock, self._client = store, clock, client
        self._build, self._endpoint_of = build, endpoint_of
        self.retry_scale, self.timeout = retry_scale, timeout
        self._per_endpoint = per_endpoint
        self._pacer = pacer or Pacer(enabled=False)
        self._lanes: dict[str, _Lane] = {}
        self._outcomes: list[_Outcome] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._timers: dict[int, TimerHandle] = {}  # retries waiting on the clock, by delivery
        self._closed = False
        self.sent = 0

    def submit(self, delivery: Delivery, event: StoredEvent | None = None) -> None:
        if self._closed:
            return  # stopping: the row stays pending and the next start sends it
        timer = self._timers.pop(delivery.id, None)
        if timer is not None:
            timer.cancel()  # sent now (a redelivery): its scheduled retry is superseded
        lane = self._lanes.setdefault(delivery.webhook, _Lane())
        lane.queue.append((delivery, event))
        if lane.workers < self._per_endpoint:
            lane.workers += 1
            self._spawn(self._work(delivery.webhook, lane))

    def at(self, when: float, delivery: Delivery) -> None:
        def due() -> None:
            self._timers.pop(delivery.id, None)
            self.submit(delivery)

        if self._closed:
            return
        earlier = self._timers.pop(delivery.id, None)
        if earlier is not None:
            earlier.cancel()  # one scheduled attempt per delivery
        self._timers[delivery.id] = self._clock.call_at(when, due)

    @property
    def busy(self) -> bool:
        """Attempts queued, running or not yet recorded."""
        return bool(self._tasks or self._outcomes)

    async def idle(self) -> None:
        """Return once everything submitted so far is done and recorded (for tests)."""
        while self.busy:
            if self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)
            else:
                await asyncio.sleep(0)

    async def close(self) -> None:
        """Stop: retries off the clock, attempts cancelled (unrecorded, so still pending)."""
        self._closed = True
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- the work ----------------------------------------------------------------------------

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _work(self, webhook: str, lane: _Lane) -> None:
        try:
            while lane.queue:
                delivery, event = lane.queue.popleft()
                try:
                    await self._attempt(delivery, event)
                except Exception:  # a bug must not stall the lane's queue
                    log.exception("webhook delivery %d failed unexpectedly", delivery.id)
        finally:
            lane.workers -= 1
            if not lane.workers and not lane.queue and self._lanes.get(webhook) is lane:
                del self._lanes[webhook]

    async def _attempt(self, delivery: Delivery, event: StoredEvent | None) -> None:
        endpoint = self._endpoint_of(delivery.webhook)
        if endpoint is None:
            return  # unregistered meanwhile
        reserved = await self._pacer.turn()
        began = time.perf_counter()
        now = self._clock.now()
        # Signatures carry the real time, not the clock a test may have moved: a receiver
        # checks svix-timestamp against its own clock, and an advanced clock would make every
        # later delivery look as if it came from the future.
        signed_at = now - self._clock.offset
        try:
            request = self._build(endpoint, delivery, event, signed_at)
        except LookupError as exc:  # the message was deleted before its event went out
            self._finish(endpoint, delivery, Answer(None, 0.0, error=str(exc)), now, final=True)
            self._pacer.spent(time.perf_counter() - began, reserved)
            return
        busy = time.perf_counter() - began
        answer = await self._client.post(
            endpoint.url, request.body, request.headers, timeout=self.timeout
        )
        began = time.perf_counter()
        self._finish(endpoint, delivery, answer, now)
        # What the attempt ran on the loop, not the time it waited for the endpoint.
        self._pacer.spent(busy + answer.busy + time.perf_counter() - began, reserved)

    def _finish(
        self,
        endpoint: Endpoint,
        delivery: Delivery,
        answer: Answer,
        at: float,
        *,
        final: bool = False,
    ) -> None:
        schedule = RETRIES.get(endpoint.format, ())
        permanent = (
            endpoint.format == "sns"
            and answer.status is not None
            and (400 <= answer.status < 500 and answer.status != 429)
        )  # SNS does not retry a 4xx other than 429
        if answer.ok:
            status, next_attempt = "succeeded", at
        elif final or permanent or delivery.attempts >= len(schedule):
            status, next_attempt = "failed", at
        else:
            status = "pending"
            next_attempt = at + schedule[delivery.attempts] * self.retry_scale
        attempt = Attempt(at, answer.status, answer.latency_ms, answer.snippet, answer.error)
        self._outcomes.append(_Outcome(endpoint, delivery, attempt, status, next_attempt, answer))
        if len(self._outcomes) == 1:
            asyncio.get_running_loop().call_soon(self._write)

    def _write(self) -> None:
        outcomes, self._outcomes = self._outcomes, []
        if outcomes and not self._closed:  # stopped: unrecorded, so pending at the next start
            self._spawn(self._record(outcomes))

    async def _record(self, outcomes: list[_Outcome]) -> None:
        try:
            updated = await self._store.webhooks.attempted_many(
                [(o.delivery, o.attempt, o.status, o.next_attempt) for o in outcomes]
            )
        except Exception:
            # Not recorded: the rows still say pending, so the next start retries them.
            log.exception("could not record %d webhook attempts", len(outcomes))
            return
        for outcome, delivery in zip(outcomes, updated, strict=True):
            if delivery.status == "succeeded":
                self.sent += 1
            elif delivery.status == "pending":
                self.at(delivery.next_attempt, delivery)
            else:
                log.warning(
                    "webhook %s gave up on delivery %d after %d attempts: %s",
                    outcome.endpoint.id,
                    delivery.id,
                    delivery.attempts,
                    outcome.answer.error or f"HTTP {outcome.answer.status}",
                )
