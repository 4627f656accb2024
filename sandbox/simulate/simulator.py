"""The delivery simulator: after a message is stored, decide what becomes of it for each
recipient, record the provider events that tell it, and make them happen on the clock.

    simulator = Simulator(store, bus, clock, ingest=store.messages.ingest)
    simulator.start()     # listens for MessageStored; re-arms events scheduled before a restart

Work is taken off the commit path: `MessageStored` only queues the message, and one task per
loop iteration decides the whole queue and records it in one group-committed job. Events due at
once are stored as occurred; later ones are stored scheduled and woken by the clock's single
timer heap (`Clock.call_at`), so ten thousand delayed deliveries cost one timer. A test moves
the clock (`--clock-control`) instead of waiting.

What an event means beyond itself is done here too: a permanent bounce or a complaint of a plan
that says so adds the address to the mailbox's suppression list; SES's `ooto` address sends an
out-of-office reply back to the Return-Path, as a real captured message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from mailyard.sandbox.clock import Clock, TimerHandle
from mailyard.sandbox.events import Bus, MessageStored
from mailyard.sandbox.simulate.decide import DEFAULT, decide
from mailyard.sandbox.simulate.errors import SimulateError
from mailyard.sandbox.simulate.outcomes import Kind, Outcome
from mailyard.sandbox.simulate.rules import RuleSet
from mailyard.sandbox.store import Store
from mailyard.sandbox.store.event_records import Planned, StoredEvent
from mailyard.sandbox.store.records import Envelope, Stored
from mailyard.sandbox.store.suppressions import Suppression

log = logging.getLogger("mailyard.simulator")

Ingest = Callable[[bytes, Envelope], Awaitable[Stored]]
AUTO_SUBMITTED = "auto-submitted"
OOTO_FROM = "ooto@simulator.amazonses.com"


@dataclass
class Rules:
    """The rules in force: global (config file, CLI/env) and per mailbox (the API)."""

    global_rules: tuple[RuleSet, ...] = ()
    by_mailbox: dict[str, RuleSet] = field(default_factory=dict)

    def for_mailbox(self, mailbox: str) -> tuple[RuleSet, ...]:
        found = self.by_mailbox.get(mailbox)
        return (found, *self.global_rules) if found is not None else self.global_rules


class Simulator:
    """Turns stored messages into provider events, on the injected clock."""

    def __init__(
        self,
        store: Store,
        bus: Bus,
        clock: Clock,
        *,
        ingest: Ingest,
        rules: Rules | None = None,
    ) -> None:
        self._store = store
        self._bus = bus
        self._clock = clock
        self._ingest = ingest
        self.rules = rules or Rules()
        self._queue: list[MessageStored] = []
        self._due: set[int] = set()
        self._timers: dict[int, TimerHandle] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._scheduled = False
        self._unlisten: Callable[[], None] | None = None
        self.decided = 0

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        """Listen for new mail, and re-arm the events scheduled before the last stop."""
        self._unlisten = self._bus.listen(self._on_stored, MessageStored)
        for event in self._store.deliveries.pending():
            self._schedule(event)

    async def close(self) -> None:
        if self._unlisten is not None:
            self._unlisten()
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        if self._queue:
            await self._decide()  # what was stored is decided, not dropped
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def idle(self) -> None:
        """Return once everything queued so far is decided and recorded (for tests)."""
        while self._queue or self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
            await asyncio.sleep(0)

    # -- deciding ---------------------------------------------------------------------------

    def _on_stored(self, event: MessageStored) -> None:
        self._queue.append(event)
        if not self._scheduled:
            self._scheduled = True
            self._spawn(self._decide())

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _decide(self) -> None:
        self._scheduled = False
        batch, self._queue = self._queue, []
        if not batch:
            return
        now = self._clock.now()
        planned = [self._plan(message) for message in batch]
        try:
            scheduled = await self._store.deliveries.record(planned, now)
        except Exception:
            log.exception("could not record the simulated deliveries of %d messages", len(batch))
            return
        self.decided += len(batch)
        for event in scheduled:
            self._schedule(event)
        await self._consequences(planned, now)

    def _plan(self, message: MessageStored) -> Planned:
        rule_sets = self.rules.for_mailbox(message.mailbox)
        deliveries = self._store.deliveries

        def is_suppressed(address: str) -> str | None:
            entry = deliveries.suppression(message.mailbox, address)
            return entry.reason if entry is not None else None

        plans = []
        for recipient in dict.fromkeys(message.recipients):
            try:
                outcome = decide(recipient, rule_sets=rule_sets, is_suppressed=is_suppressed)
            except SimulateError as exc:  # an unknown scenario stored by a route that let it in
                log.info("%s: %s; delivered as usual", recipient, exc)
                outcome = DEFAULT
            plans.append((recipient, outcome))
        return Planned(message.seq, message.id, message.mailbox, message.created, tuple(plans))

    # -- the clock ---------------------------------------------------------------------------

    def _schedule(self, event: StoredEvent) -> None:
        def due() -> None:
            self._timers.pop(event.id, None)
            self._due.add(event.id)
            if len(self._due) == 1:
                self._spawn(self._occur())

        self._timers[event.id] = self._clock.call_at(event.due, due)

    async def _occur(self) -> None:
        await asyncio.sleep(0)  # gather every timer that fell due in this iteration
        ids, self._due = sorted(self._due), set()
        try:
            events = await self._store.deliveries.occur(ids)
        except Exception:
            log.exception("could not record %d simulated events", len(ids))
            return
        await self._after_delayed(events)

    # -- what events mean ---------------------------------------------------------------------

    async def _consequences(self, planned: list[Planned], now: float) -> None:
        """Suppression and auto-replies for the steps that happened at once."""
        entries: list[Suppression] = []
        for plan in planned:
            for recipient, outcome in plan.plans:
                happened = [s for s in outcome.steps if plan.accepted + s.after <= now]
                if any(_suppresses(outcome, s.kind) for s in happened):
                    entries.append(
                        Suppression(
                            plan.mailbox, recipient, str(outcome.suppress), now, plan.message_id
                        )
                    )
                if outcome.auto_reply and any(s.kind is Kind.DELIVERY for s in happened):
                    await self._auto_reply(plan, recipient)
        await self._store.deliveries.suppress(entries)

    async def _after_delayed(self, events: list[StoredEvent]) -> None:
        entries: list[Suppression] = []
        for event in events:
            for record in self._store.deliveries.for_message(event.seq):
                if (
                    record.recipient in event.recipients
                    and record.suppress
                    and event.kind
                    in (
                        Kind.BOUNCE,
                        Kind.COMPLAINT,
                    )
                ):
                    entries.append(
                        Suppression(
                            record.mailbox,
                            record.recipient,
                            record.suppress,
                            event.due,
                            record.message_id,
                        )
                    )
        await self._store.deliveries.suppress(entries)

    async def _auto_reply(self, plan: Planned, recipient: str) -> None:
        record = self._store.messages.get(plan.message_id)
        if record.envelope.source == "auto-reply" or not record.envelope.mail_from:
            return  # never answer an auto-reply (RFC 3834): no loops
        to = record.envelope.mail_from
        subject = _one_line(record.summary.subject)
        original = _one_line(record.summary.message_id)
        raw = (
            f"From: {recipient}\r\nTo: {to}\r\nSubject: Out of the Office: {subject}\r\n"
            f"Auto-Submitted: auto-replied\r\nIn-Reply-To: <{original}>\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            "I am out of the office and will reply when I return.\r\n"
            "(An automatic reply from the SES mailbox simulator, simulated by mailyard.)\r\n"
        ).encode()
        await self._ingest(raw, Envelope("", (to,), mailbox=plan.mailbox, source="auto-reply"))


def _suppresses(outcome: Outcome, kind: Kind) -> bool:
    return outcome.suppress is not None and kind in (Kind.BOUNCE, Kind.COMPLAINT)


def _one_line(text: str) -> str:
    """A header value that cannot break into a second header."""
    return " ".join(text.split())[:900]
