"""The simulator's repository: per-recipient plans (deliveries), the provider events that tell
them (scheduled, then occurred), and the account-level suppression list.

Events are provider-neutral rows (a `Kind`, its detail as JSON, the recipients it covers, when
it happens); each provider's JSON is rendered from them when read (`simulate.payloads`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace

from mailyard.sandbox.events import Event
from mailyard.sandbox.simulate.outcomes import (
    Bounce,
    Complaint,
    Delay,
    Delivery,
    Detail,
    Engagement,
    Kind,
    Outcome,
    Reject,
    Step,
)
from mailyard.sandbox.store.writer import Tx, Writer

_DETAILS: dict[str, type] = {
    cls.__name__: cls for cls in (Bounce, Complaint, Delay, Delivery, Engagement, Reject)
}
MAX_EVENTS = 1000
_DETAIL_CLASS = "detail"
# A reader's events: they tell what a recipient did with delivered mail, not where it stands.
ENGAGEMENT = (Kind.OPEN, Kind.CLICK)


def detail_json(detail: Detail | None) -> str:
    if detail is None:
        return "{}"
    # The class goes under a key of its own: `Bounce.type` (Permanent, Transient) would
    # overwrite a `type` key, and the bounce would read back as no detail at all.
    return json.dumps({**asdict(detail), _DETAIL_CLASS: type(detail).__name__})


def detail_from_json(text: str) -> Detail | None:
    data = json.loads(text or "{}")
    name = data.pop(_DETAIL_CLASS, None)
    if name is None:  # written before the key existed: the class under `type`, or a
        name = data.get("type")  # bounce whose own `type` had overwritten it
        if name in _DETAILS:
            del data["type"]
        elif "subtype" in data and "reporting_mta" in data:
            name = "Bounce"
    cls = _DETAILS.get(str(name))
    return cls(**data) if cls is not None else None


@dataclass(frozen=True)
class StoredEvent:
    """One provider event of one message, as stored."""

    id: int
    seq: int
    message_id: str
    mailbox: str
    kind: Kind
    detail: Detail | None
    recipients: tuple[str, ...]
    due: float
    occurred: bool

    @property
    def step(self) -> Step:
        return Step(0.0, self.kind, self.detail)


@dataclass(frozen=True)
class DeliveryRecord:
    """The plan chosen for one recipient of one message, and how far it has got."""

    seq: int
    message_id: str
    mailbox: str
    recipient: str
    outcome: str
    decided_by: str
    last_event: Kind
    suppress: str | None


@dataclass(frozen=True)
class Suppression:
    mailbox: str
    address: str
    reason: str  # BOUNCE | COMPLAINT
    created: float
    message_id: str = ""
    origin: str = "simulator"  # simulator | api | manual


@dataclass(frozen=True)
class Planned:
    """What the simulator asks the store to record for one message."""

    seq: int
    message_id: str
    mailbox: str
    accepted: float
    plans: tuple[tuple[str, Outcome], ...]  # (recipient, outcome)


@dataclass(frozen=True)
class EventsOccurred(Event):
    """Provider events happened (committed): the live inbox, waiters and webhooks listen."""

    events: tuple[StoredEvent, ...]


@dataclass(frozen=True)
class SuppressionsChanged(Event):
    mailbox: str
    address: str | None  # None: the whole list of the mailbox
    added: bool


def _event(row: sqlite3.Row) -> StoredEvent:
    return StoredEvent(
        id=int(row["id"]),
        seq=int(row["seq"]),
        message_id=row["message_id"],
        mailbox=row["mailbox"],
        kind=Kind(row["kind"]),
        detail=detail_from_json(row["detail"]),
        recipients=tuple(json.loads(row["recipients"])),
        due=float(row["due"]),
        occurred=bool(row["occurred"]),
    )


_EVENT_COLUMNS = (
    "e.id, e.seq, e.message_id, e.mailbox, e.kind, e.detail, e.recipients, e.due, e.occurred"
)


class Deliveries:
    """Plans, events and the suppression list."""

    def __init__(self, reader: Callable[[], sqlite3.Connection], writer: Writer) -> None:
        self._reader = reader
        self._writer = writer

    # -- writes -----------------------------------------------------------------------------

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
                f"SELECT {_EVENT_COLUMNS} FROM events e WHERE e.id IN ({marks}) AND occurred = 0 "
                "ORDER BY e.id",
                ids,
            ).fetchall()
            if not rows:
                return []
            tx.execute(f"UPDATE events SET occurred = 1 WHERE id IN ({marks})", ids)
            events = [replace(_event(r), occurred=True) for r in rows]
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

    async def suppress(self, entries: Iterable[Suppression]) -> int:
        """Add addresses to their mailbox's suppression list (an entry already there stays)."""
        rows = list(entries)

        def job(tx: Tx) -> int:
            added = 0
            for s in rows:
                added += tx.execute(
                    "INSERT OR IGNORE INTO suppressions (mailbox, address, reason, created, "
                    "message_id, origin) VALUES (?,?,?,?,?,?)",
                    (s.mailbox, s.address.lower(), s.reason, s.created, s.message_id, s.origin),
                ).rowcount
                tx.emit(SuppressionsChanged(s.mailbox, s.address.lower(), True))
            return added

        return await self._writer.run(job) if rows else 0

    async def unsuppress(self, mailbox: str, address: str | None) -> int:
        """Remove one address from the list, or clear the mailbox's list (`address` None)."""

        def job(tx: Tx) -> int:
            if address is None:
                removed = tx.execute("DELETE FROM suppressions WHERE mailbox = ?", (mailbox,))
            else:
                removed = tx.execute(
                    "DELETE FROM suppressions WHERE mailbox = ? AND address = ?",
                    (mailbox, address.lower()),
                )
            tx.emit(SuppressionsChanged(mailbox, address.lower() if address else None, False))
            return int(removed.rowcount)

        return await self._writer.run(job)

    # -- reads ------------------------------------------------------------------------------

    def pending(self) -> list[StoredEvent]:
        """Every scheduled event, soonest first (to re-arm timers after a restart)."""
        rows = self._reader().execute(
            f"SELECT {_EVENT_COLUMNS} FROM events e WHERE occurred = 0 ORDER BY due, id"
        )
        return [_event(r) for r in rows]

    def events(
        self,
        *,
        after: int = 0,
        mailbox: str | None = None,
        message_id: str | None = None,
        recipient: str | None = None,
        kinds: tuple[Kind, ...] = (),
        limit: int = 100,
        include_scheduled: bool = False,
    ) -> list[StoredEvent]:
        """Events after the cursor `after`, oldest first, filtered."""
        clauses, params = ["e.id > ?"], [str(after)]
        if not include_scheduled:
            clauses.append("e.occurred = 1")
        if mailbox is not None:
            clauses.append("e.mailbox = ?")
            params.append(mailbox)
        if message_id is not None:
            clauses.append("e.message_id = ?")
            params.append(message_id)
        if recipient is not None:
            clauses.append("e.id IN (SELECT event FROM event_recipients WHERE recipient = ?)")
            params.append(recipient.lower())
        if kinds:
            clauses.append(f"e.kind IN ({','.join('?' * len(kinds))})")
            params.extend(k.value for k in kinds)
        rows = self._reader().execute(
            f"SELECT {_EVENT_COLUMNS} FROM events e WHERE {' AND '.join(clauses)} "
            "ORDER BY e.id LIMIT ?",
            (*params, min(limit, MAX_EVENTS)),
        )
        return [_event(r) for r in rows]

    def of_message(self, seq: int, limit: int = MAX_EVENTS) -> list[StoredEvent]:
        """Every event of one message, scheduled ones too, in the order they happen (by the
        message's seq, which is indexed: a message id is not, and would read every event)."""
        rows = self._reader().execute(
            f"SELECT {_EVENT_COLUMNS} FROM events e WHERE e.seq = ? ORDER BY e.due, e.id LIMIT ?",
            (seq, min(limit, MAX_EVENTS)),
        )
        return [_event(r) for r in rows]

    def by_ids(self, ids: list[int]) -> dict[int, StoredEvent]:
        """The events with these ids (those that still exist), in one query."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._reader().execute(
            f"SELECT {_EVENT_COLUMNS} FROM events e WHERE e.id IN ({marks})", ids
        )
        return {event.id: event for event in map(_event, rows)}

    def cursor(self) -> int:
        row = (
            self._reader()
            .execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'")
            .fetchone()
        )
        return int(row[0]) if row else 0

    def for_message(self, seq: int) -> list[DeliveryRecord]:
        rows = self._reader().execute(
            "SELECT seq, message_id, mailbox, recipient, outcome, decided_by, last_event, "
            "suppress FROM deliveries WHERE seq = ? ORDER BY id",
            (seq,),
        )
        return [
            DeliveryRecord(
                r["seq"],
                r["message_id"],
                r["mailbox"],
                r["recipient"],
                r["outcome"],
                r["decided_by"],
                Kind(r["last_event"]),
                r["suppress"],
            )
            for r in rows
        ]

    def last_events(self, seqs: list[int]) -> dict[int, list[tuple[str, Kind]]]:
        """seq -> (recipient, last event) for a page of messages (the inbox's at-a-glance)."""
        if not seqs:
            return {}
        marks = ",".join("?" * len(seqs))
        found: dict[int, list[tuple[str, Kind]]] = {}
        for r in self._reader().execute(
            f"SELECT seq, recipient, last_event FROM deliveries WHERE seq IN ({marks}) ORDER BY id",
            seqs,
        ):
            found.setdefault(int(r[0]), []).append((r[1], Kind(r[2])))
        return found

    def last_outcomes(self, seqs: list[int]) -> dict[int, list[tuple[str, Kind]]]:
        """seq -> (recipient, where its mail stands) for a page of messages: the last event
        other than an open or a click, so a delivered message that was opened still reads
        "delivered" (and a bounced one a test opened through the API "bounced").

        Two queries at most, whatever the page's size: the plans, then the events of those
        messages whose last event was an open or a click."""
        found = self.last_events(seqs)
        engaged = [
            seq for seq, rows in found.items() if any(kind in ENGAGEMENT for _, kind in rows)
        ]
        if not engaged:
            return found
        marks = ",".join("?" * len(engaged))
        outcome: dict[tuple[int, str], Kind] = {}
        for r in self._reader().execute(
            f"SELECT e.seq, r.recipient, e.kind FROM events e JOIN event_recipients r "
            # `+e.occurred`: look the rows up by seq; SQLite would otherwise pick the index on
            # `occurred` and read every event ever stored (12 ms at 20,000 events, measured).
            f"ON r.event = e.id WHERE e.seq IN ({marks}) AND +e.occurred = 1 "
            f"AND e.kind NOT IN ({','.join('?' * len(ENGAGEMENT))}) ORDER BY e.id",
            (*engaged, *(k.value for k in ENGAGEMENT)),
        ):
            outcome[int(r[0]), r[1]] = Kind(r[2])  # the newest wins: rows come oldest first
        return {
            seq: [
                (who, outcome.get((seq, who.lower()), Kind.SEND) if kind in ENGAGEMENT else kind)
                for who, kind in rows
            ]
            for seq, rows in found.items()
        }

    def transient_bounces(self, seqs: list[int]) -> set[tuple[int, str]]:
        """(seq, recipient) whose latest bounce was Transient (a soft bounce: the mailbox was
        full, the server busy), among these messages: the inbox tells them from a permanent
        one. One query, for the messages that bounced only (the caller knows which)."""
        if not seqs:
            return set()
        marks = ",".join("?" * len(seqs))
        last: dict[tuple[int, str], bool] = {}
        for r in self._reader().execute(
            f"SELECT e.seq, r.recipient, json_extract(e.detail, '$.type') = 'Transient' "
            f"FROM events e JOIN event_recipients r ON r.event = e.id "
            f"WHERE e.seq IN ({marks}) AND +e.occurred = 1 AND e.kind = ? ORDER BY e.id",
            (*seqs, Kind.BOUNCE.value),
        ):
            last[int(r[0]), r[1]] = bool(r[2])  # the newest wins: rows come oldest first
        return {key for key, soft in last.items() if soft}

    def recent_for(self, recipient: str, limit: int = 50) -> list[StoredEvent]:
        """The newest events that happened to one recipient, in any mailbox, newest first."""
        rows = self._reader().execute(
            f"SELECT {_EVENT_COLUMNS} FROM events e WHERE e.occurred = 1 AND e.id IN "
            "(SELECT event FROM event_recipients WHERE recipient = ?) ORDER BY e.id DESC LIMIT ?",
            (recipient.lower(), min(limit, MAX_EVENTS)),
        )
        return [_event(r) for r in rows]

    def suppressed_anywhere(self, address: str) -> Suppression | None:
        """The newest suppression of the address in any mailbox (an account-wide question)."""
        row = (
            self._reader()
            .execute(
                "SELECT mailbox, address, reason, created, message_id, origin FROM suppressions "
                "WHERE address = ? ORDER BY created DESC LIMIT 1",
                (address.lower(),),
            )
            .fetchone()
        )
        return Suppression(*row) if row else None

    def suppression(self, mailbox: str, address: str) -> Suppression | None:
        row = (
            self._reader()
            .execute(
                "SELECT mailbox, address, reason, created, message_id, origin FROM suppressions "
                "WHERE mailbox = ? AND address = ?",
                (mailbox, address.lower()),
            )
            .fetchone()
        )
        return Suppression(*row) if row else None

    def suppressions(
        self, mailbox: str | None = None, *, reason: str | None = None, limit: int = 1000
    ) -> list[Suppression]:
        clauses, params = ["1"], []
        if mailbox is not None:
            clauses.append("mailbox = ?")
            params.append(mailbox)
        if reason is not None:
            clauses.append("reason = ?")
            params.append(reason)
        rows = self._reader().execute(
            "SELECT mailbox, address, reason, created, message_id, origin FROM suppressions "
            f"WHERE {' AND '.join(clauses)} ORDER BY created DESC, address LIMIT ?",
            (*params, limit),
        )
        return [Suppression(*r) for r in rows]


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
