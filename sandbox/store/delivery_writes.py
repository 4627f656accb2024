"""Recording the simulator's plans and events: `DeliveryWrites`, the part of the `Deliveries`
repository that stores the plans chosen for a batch of messages with their events (those due
at once as occurred, the rest scheduled), marks scheduled events as occurred when their time
comes, adds unplanned ones (an open, a click), and advances each recipient's last event; with
the multi-row INSERT helpers that keep a batch to a few statements.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import replace

from mailyard.sandbox.simulate.outcomes import Kind, Step
from mailyard.sandbox.store.event_records import (
    EVENT_COLUMNS,
    EventsOccurred,
    Planned,
    StoredEvent,
    detail_json,
    event_from_row,
)
from mailyard.sandbox.store.writer import Tx, Writer


class DeliveryWrites:
    """Plans and events, written (mixed into `Deliveries`)."""

    _writer: Writer

    async def record(self, planned: Iterable[Planned], now: float) -> list[StoredEvent]:
        """Store the plans and their events; events due by `now` are stored as occurred and
        published; the rest are returned scheduled, for the caller's timers."""
        batch = list(planned)
        return await self._writer.run(lambda tx: self._record(tx, batch, now))

    def _record(self, tx: Tx, batch: list[Planned], now: float) -> list[StoredEvent]:
        # Multi-row INSERTs: a few statements for the whole batch rather than five or so a
        # message (each statement costs the writer 10-25 us, whatever it carries).
        deliveries: list[tuple[object, ...]] = []
        pending: list[_NewEvent] = []
        for plan in batch:
            grouped: dict[Step, list[str]] = {}
            for recipient, outcome in plan.plans:
                due_now = [s for s in outcome.steps if plan.accepted + s.after <= now]
                last = due_now[-1].kind if due_now else Kind.SEND
                deliveries.append(
                    (
                        plan.seq,
                        plan.message_id,
                        plan.mailbox,
                        recipient,
                        outcome.name,
                        outcome.decided_by,
                        last.value,
                        outcome.suppress,
                        plan.accepted,
                    )
                )
                for step in outcome.steps:
                    grouped.setdefault(step, []).append(recipient)
            for step, recipients in grouped.items():
                due = plan.accepted + step.after
                pending.append((plan, step, tuple(recipients), due, due <= now))
        _insert_rows(
            tx,
            "deliveries (seq, message_id, mailbox, recipient, outcome, decided_by, last_event, "
            "suppress, created)",
            deliveries,
        )
        stored = _insert_events(tx, pending)
        occurred = [e for e in stored if e.occurred]
        if occurred:
            tx.emit(EventsOccurred(tuple(occurred)))
        return [e for e in stored if not e.occurred]

    async def add_event(
        self,
        seq: int,
        message_id: str,
        mailbox: str,
        step: Step,
        recipients: tuple[str, ...],
        at: float,
    ) -> StoredEvent:
        """An event that was not planned (an open or a click), occurring now."""
        planned = Planned(seq, message_id, mailbox, at, ())

        def job(tx: Tx) -> StoredEvent:
            (event,) = _insert_events(tx, [(planned, step, recipients, at, True)])
            self._advance(tx, [event])
            tx.emit(EventsOccurred((event,)))
            return event

        return await self._writer.run(job)

    async def occur(self, ids: list[int]) -> list[StoredEvent]:
        """Mark scheduled events as having happened (their time came); returns those that were
        still scheduled (a message deleted meanwhile takes its events with it)."""

        def job(tx: Tx) -> list[StoredEvent]:
            marks = ",".join("?" * len(ids))
            rows = tx.execute(
                f"SELECT {EVENT_COLUMNS} FROM events e WHERE e.id IN ({marks}) AND occurred = 0 "
                "ORDER BY e.id",
                ids,
            ).fetchall()
            if not rows:
                return []
            tx.execute(f"UPDATE events SET occurred = 1 WHERE id IN ({marks})", ids)
            events = [replace(event_from_row(r), occurred=True) for r in rows]
            self._advance(tx, events)
            tx.emit(EventsOccurred(tuple(events)))
            return events

        return await self._writer.run(job) if ids else []

    def _advance(self, tx: Tx, events: list[StoredEvent]) -> None:
        for event in events:
            marks = ",".join("?" * len(event.recipients))
            tx.execute(
                f"UPDATE deliveries SET last_event = ? WHERE seq = ? AND recipient IN ({marks})",
                (event.kind.value, event.seq, *event.recipients),
            )


# An event to insert: its plan, step, recipients, due time, and whether it has occurred.
_NewEvent = tuple[Planned, Step, tuple[str, ...], float, bool]
ROWS = 100  # rows a multi-row INSERT carries (x 9 columns: far below SQLite's variable limit)


def _insert_events(tx: Tx, pending: list[_NewEvent]) -> list[StoredEvent]:
    """Insert events and their recipients, a few statements for all of them."""
    rows = [
        (
            plan.seq,
            plan.message_id,
            plan.mailbox,
            step.kind.value,
            detail_json(step.detail),
            json.dumps(list(recipients)),
            due,
            int(occurred),
        )
        for plan, step, recipients, due, occurred in pending
    ]
    ids = _insert_rows(
        tx, "events (seq, message_id, mailbox, kind, detail, recipients, due, occurred)", rows
    )
    stored = [
        StoredEvent(id_, p.seq, p.message_id, p.mailbox, step.kind, step.detail, to, due, done)
        for id_, (p, step, to, due, done) in zip(ids, pending, strict=True)
    ]
    links = list(dict.fromkeys((e.id, r.lower()) for e in stored for r in e.recipients))
    _insert_rows(tx, "event_recipients (event, recipient)", links, verb="INSERT OR IGNORE")
    return stored


def _insert_rows(
    tx: Tx, into: str, rows: Sequence[tuple[object, ...]], verb: str = "INSERT"
) -> list[int]:
    """Insert `rows` into `into` ("table (columns)"), up to `ROWS` a statement; returns their
    rowids. There is one writer and the keys are AUTOINCREMENT, so a statement's rows take
    consecutive ids ending at its `lastrowid` (meaningful for a plain INSERT only)."""
    ids: list[int] = []
    for at in range(0, len(rows), ROWS):
        part = rows[at : at + ROWS]
        one = "(" + ",".join("?" * len(part[0])) + ")"
        values = [v for row in part for v in row]
        cursor = tx.execute(f"{verb} INTO {into} VALUES {','.join([one] * len(part))}", values)
        last = int(cursor.lastrowid or 0)
        ids += range(last - len(part) + 1, last + 1)
    return ids
