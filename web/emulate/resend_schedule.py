"""Resend's `scheduled_at`, honoured on the simulator's clock.

A scheduled email is held in the emulators' repository (`resend_scheduled`), not in the inbox:
it has not been sent yet, so it must not be listed, searched, simulated or delivered to a
webhook until its time, and a cancel must leave no trace there. Holding it beside the inbox
keeps the messages repository (and every reader of it) free of a "not yet" state. The row is
durable before the API answers; one timer per email on the injected clock (`Clock.call_at`, one
heap) wakes it, so `POST /api/v1/clock/advance` sends it at once in a test. When it fires, the
row is claimed (scheduled -> sent) and then the message is stored as any other, which hands it
to the simulator. Claiming first means a cancel that races the timer either wins (nothing is
stored) or loses (the answer says it was already sent), never both.

After a restart every still-scheduled row is re-armed; one whose time passed meanwhile fires at
once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Protocol

from mailyard.sandbox import Clock, Emulation, ScheduledEmail, Store

log = logging.getLogger("mailyard.emulate")

SENT = "sent"


class Timer(Protocol):
    """What `Clock.call_at` returns."""

    def cancel(self) -> None: ...


class ResendScheduler:
    """Timers for the held emails; firing stores the message."""

    def __init__(self, repo: Emulation, store: Store, clock: Clock) -> None:
        self._repo = repo
        self._store = store
        self._clock = clock
        self._timers: dict[str, Timer] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        for email in self._repo.pending():
            self.arm(email.id, email.due)

    def arm(self, email_id: str, due: float) -> None:
        """(Re)schedule the email for `due` on the clock."""
        self.disarm(email_id)

        def fire() -> None:
            self._timers.pop(email_id, None)
            self._spawn(self._fire(email_id))

        self._timers[email_id] = self._clock.call_at(due, fire)

    def disarm(self, email_id: str) -> None:
        timer = self._timers.pop(email_id, None)
        if timer is not None:
            timer.cancel()

    async def idle(self) -> None:
        """Return once every email that fell due has been stored (for tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        await self.idle()

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fire(self, email_id: str) -> None:
        try:
            email = self._repo.scheduled(email_id)
            if email is None or not await self._repo.set_state(email_id, SENT):
                return  # canceled, or sent by another timer meanwhile
            await self._send(email)
        except Exception:
            log.exception("could not send the scheduled Resend email %s", email_id)

    async def _send(self, email: ScheduledEmail) -> None:
        await self._store.messages.ingest(email.raw, email.envelope)
