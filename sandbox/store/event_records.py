"""The simulator's stored shapes: a provider event as stored (`StoredEvent`), the plan of one
recipient (`DeliveryRecord`), what the simulator asks to record (`Planned`), the bus event told
when events occur, and how an event's detail and row read back. Events are provider-neutral rows
(a `Kind`, its detail as JSON, the recipients it covers, when it happens); each provider's JSON
is rendered from them when read (`simulate.payloads`).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass

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


def event_from_row(row: sqlite3.Row) -> StoredEvent:
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


EVENT_COLUMNS = (
    "e.id, e.seq, e.message_id, e.mailbox, e.kind, e.detail, e.recipients, e.due, e.occurred"
)
