"""What the auth service needs to know of an address's delivery history, as a small seam.

The spec asks admins to "check the suppression list before re-inviting a bouncing user"; the
service does it for them: an invitation to an address on the suppression list, or one that has
hard-bounced, is refused with the reason unless the admin overrides. The admin API shows each
user's bounces and complaints from the same source.

The source is the delivery simulator (its suppression list and provider events); the auth
service depends only on `DeliveryHistory`, so it works, and is tested, without it.
`MemoryDeliveryHistory` is the trivial implementation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from mailyard.sandbox.auth.tokens import when
from mailyard.sandbox.simulate.outcomes import Bounce, Complaint, Delay, Kind
from mailyard.sandbox.store.accounts import email_key
from mailyard.sandbox.store.deliveries import Deliveries

BOUNCE, COMPLAINT = "Bounce", "Complaint"
MAX_EVENTS = 50


@dataclass(frozen=True)
class DeliveryEvent:
    """One provider event for an address: `type` in the providers' words (Send, Delivery,
    Bounce, Complaint, Reject, DeliveryDelay, ...)."""

    type: str
    at: float
    message_id: str = ""
    permanent: bool = False  # a Bounce of bounce type Permanent: a hard bounce
    detail: str = ""  # the bounce subtype, the complaint's feedback type, ...

    def as_json(self) -> dict[str, object]:
        return {
            "type": self.type,
            "at": when(self.at),
            "messageId": self.message_id,
            "permanent": self.permanent,
            "detail": self.detail,
        }


class DeliveryHistory(Protocol):
    """Suppression and provider events per address (case-insensitive)."""

    def suppression(self, address: str) -> str | None:
        """Why the address is on the suppression list (BOUNCE, COMPLAINT), or None."""
        ...

    def events_for(self, address: str, limit: int = MAX_EVENTS) -> list[DeliveryEvent]:
        """The newest provider events for the address, newest first."""
        ...


@dataclass
class MemoryDeliveryHistory:
    """A `DeliveryHistory` held in memory: for tests, and until a simulator is wired in."""

    suppressed: dict[str, str] = field(default_factory=dict)
    events: dict[str, list[DeliveryEvent]] = field(default_factory=dict)

    def suppress(self, address: str, reason: str) -> None:
        self.suppressed[email_key(address)] = reason

    def record(self, address: str, event: DeliveryEvent) -> None:
        self.events.setdefault(email_key(address), []).insert(0, event)

    def suppression(self, address: str) -> str | None:
        return self.suppressed.get(email_key(address))

    def events_for(self, address: str, limit: int = MAX_EVENTS) -> list[DeliveryEvent]:
        return self.events.get(email_key(address), [])[:limit]


# The providers' words for our kinds (SES's event types; a suppressed send is SES's Bounce).
_TYPES = {
    Kind.SEND: "Send",
    Kind.DELIVERY: "Delivery",
    Kind.BOUNCE: BOUNCE,
    Kind.COMPLAINT: COMPLAINT,
    Kind.DELIVERY_DELAY: "DeliveryDelay",
    Kind.REJECT: "Reject",
    Kind.OPEN: "Open",
    Kind.CLICK: "Click",
    Kind.RENDERING_FAILURE: "RenderingFailure",
    Kind.SUPPRESSED: BOUNCE,
}


@dataclass(frozen=True)
class SimulatorHistory:
    """The delivery simulator's record as a `DeliveryHistory`, across every mailbox: the auth
    service's mail may be captured by SMTP, the SES emulation or Resend's, each in its own
    mailbox, and a bounce anywhere is a reason not to mail the address again."""

    deliveries: Deliveries

    def suppression(self, address: str) -> str | None:
        found = self.deliveries.suppressed_anywhere(address)
        return found.reason if found else None

    def events_for(self, address: str, limit: int = MAX_EVENTS) -> list[DeliveryEvent]:
        return [
            _delivery_event(e.kind, e.due, e.message_id, e.detail)
            for e in self.deliveries.recent_for(address, limit)
        ]


def _delivery_event(kind: Kind, at: float, message_id: str, detail: object) -> DeliveryEvent:
    # A step stored without detail takes its kind's defaults, as the payloads do.
    if detail is None and kind is Kind.BOUNCE:
        detail = Bounce()
    elif detail is None and kind is Kind.COMPLAINT:
        detail = Complaint()
    if kind is Kind.SUPPRESSED:
        return DeliveryEvent(BOUNCE, at, message_id, True, "OnAccountSuppressionList")
    if isinstance(detail, Bounce):
        return DeliveryEvent(BOUNCE, at, message_id, detail.permanent, detail.subtype)
    if isinstance(detail, Complaint):
        return DeliveryEvent(COMPLAINT, at, message_id, False, detail.feedback_type or "")
    if isinstance(detail, Delay):
        return DeliveryEvent(_TYPES[kind], at, message_id, False, detail.delay_type)
    return DeliveryEvent(_TYPES[kind], at, message_id)


@dataclass(frozen=True)
class Standing:
    """An address's standing with the providers: suppressed or not, its bounces, complaints."""

    address: str
    suppressed: str | None
    bounces: tuple[DeliveryEvent, ...]
    complaints: tuple[DeliveryEvent, ...]

    @property
    def hard_bounce(self) -> DeliveryEvent | None:
        return next((b for b in self.bounces if b.permanent), None)

    def refusal(self) -> str | None:
        """Why mailing this address again is a bad idea, or None."""
        if self.suppressed:
            return (
                f"{self.address} is on the suppression list ({self.suppressed}): providers "
                "drop mail to it and count each attempt against the sender"
            )
        hard = self.hard_bounce
        if hard is not None:
            what = f" ({hard.detail})" if hard.detail else ""
            return f"{self.address} hard-bounced{what} at {when(hard.at)}"
        return None

    def as_json(self) -> dict[str, object]:
        return {
            "suppressed": self.suppressed,
            "bounces": [b.as_json() for b in self.bounces],
            "complaints": [c.as_json() for c in self.complaints],
        }


def standing_of(history: DeliveryHistory, address: str) -> Standing:
    events = history.events_for(address, MAX_EVENTS)
    return Standing(
        address=address,
        suppressed=history.suppression(address),
        bounces=tuple(e for e in events if e.type == BOUNCE),
        complaints=tuple(e for e in events if e.type == COMPLAINT),
    )
