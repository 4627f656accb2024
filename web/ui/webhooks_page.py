"""The webhooks page: every endpoint, its newest deliveries with each attempt (status code,
latency, the first bytes of the answer, the error), and a button that delivers one again.

Each endpoint is a section of its own (`_webhook.html`, `/ui/webhooks/{id}`): a redelivery
answers it redrawn, and while a delivery of it is pending it asks again every second
(htmx polling, which stops by itself once no attempt is due within `SOON` seconds: a retry
backed off for an hour is no reason to ask every second).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from mailyard.sandbox import Endpoint, Kind, StoredEvent, event_names
from mailyard.web.api.webhooks import redeliver_from_path
from mailyard.web.errors import RequestError
from mailyard.web.services import Services, services
from mailyard.web.ui.templating import fragment, page
from mailyard.web.ui.timeline import iso

SHOWN = 20  # deliveries per endpoint, newest first
SNIPPET = 300  # characters of an answer shown (the store keeps a few more)
# What a delivery carried, by the event's kind.
CARRIED: dict[Kind, str] = {
    Kind.SEND: "Send",
    Kind.DELIVERY: "Delivery",
    Kind.DELIVERY_DELAY: "Delivery delay",
    Kind.BOUNCE: "Bounce",
    Kind.COMPLAINT: "Complaint",
    Kind.REJECT: "Reject",
    Kind.OPEN: "Open",
    Kind.CLICK: "Click",
    Kind.RENDERING_FAILURE: "Rendering failure",
    Kind.SUPPRESSED: "Suppression",
}
FORMATS = {
    "sns": "SES events via SNS",
    "eventbridge": "SES events via EventBridge",
    "resend": "Resend (Svix-signed)",
    "mailpit": "Mailpit's new-message webhook",
    "auth": "auth service events (Standard Webhooks)",
}


@dataclass(frozen=True)
class AttemptRow:
    at: str  # ISO 8601, UTC
    status_code: int | None
    latency_ms: float
    response: str
    cut: bool
    error: str | None


@dataclass(frozen=True)
class DeliveryRow:
    """One delivery as the page shows it: what it carried and every attempt."""

    id: int
    status: str  # pending | succeeded | failed | unconfirmed
    what: str  # the event's name as the endpoint's receiver knows it
    message_id: str  # "" when it is about no stored message
    to: str  # whom the event is about ("" when it is about no stored message)
    created: str
    next_attempt: str
    attempts: list[AttemptRow]


@dataclass(frozen=True)
class Section:
    endpoint: Endpoint
    label: str
    deliveries: list[DeliveryRow]
    soon: bool  # a delivery will be attempted within `SOON` seconds: the page asks again
    failing: str  # what a delivery in trouble got last ("HTTP 503", a network error), or ""
    total: int  # the endpoint's deliveries in all

    @property
    def more(self) -> bool:
        """Older deliveries exist than those shown."""
        return self.total > len(self.deliveries)


SOON = 30.0


def _auth_type(payload: str) -> str:
    try:
        body = json.loads(payload or "{}")
    except ValueError:
        return "An auth service event"
    kind = body.get("type") if isinstance(body, dict) else None
    return str(kind) if isinstance(kind, str) else "An auth service event"


def _carried(endpoint_format: str, event: StoredEvent) -> str:
    """The event's name in the receiver's vocabulary: Resend's `email.delivered`, EventBridge's
    detail-type; SES's own names (SNS) read as they are."""
    if endpoint_format in ("resend", "eventbridge"):
        return event_names(endpoint_format, event)[0]
    return CARRIED.get(event.kind, event.kind.value)


def _recipients(addresses: tuple[str, ...]) -> str:
    shown = ", ".join(addresses[:2])
    return f"{shown} and {len(addresses) - 2} more" if len(addresses) > 2 else shown


def section(svc: Services, endpoint: Endpoint) -> Section:
    """One endpoint with its newest deliveries: three or four queries, whatever their number."""
    found = svc.store.webhooks.recent(endpoint.id, SHOWN)
    simulated = endpoint.format not in ("mailpit", "auth")
    events = svc.store.deliveries.by_ids([d.event for d, _ in found]) if simulated else {}
    rows = []
    for delivery, attempts in found:
        event = events.get(delivery.event)
        to = ""
        if endpoint.format == "mailpit":
            what, message_id = "New message", ""
        elif endpoint.format == "auth":
            what, message_id = _auth_type(delivery.payload), ""
        elif endpoint.format == "sns" and delivery.event == 0:  # the dispatcher's convention
            what, message_id = "SubscriptionConfirmation", ""
        elif event is None:
            what, message_id = "An event of a message since deleted", ""
        else:
            what, message_id = _carried(endpoint.format, event), event.message_id
            to = _recipients(event.recipients)
        rows.append(
            DeliveryRow(
                delivery.id,
                delivery.status,
                what,
                message_id,
                to,
                iso(delivery.created),
                iso(delivery.next_attempt),
                [
                    AttemptRow(
                        iso(a.at),
                        a.status_code,
                        a.latency_ms,
                        a.response[:SNIPPET],
                        len(a.response) > SNIPPET,
                        a.error,
                    )
                    for a in attempts
                ],
            )
        )
    now = svc.clock.now()
    soon = any(d.status == "pending" and d.next_attempt - now <= SOON for d, _ in found)
    label = FORMATS.get(endpoint.format, endpoint.format)
    total = svc.store.webhooks.count(endpoint.id) if len(found) == SHOWN else len(found)
    return Section(endpoint, label, rows, soon, _failing(rows), total)


def _failing(rows: list[DeliveryRow]) -> str:
    """What the newest delivery still in trouble (failed, or pending after a failed attempt)
    got last, or "": the section says it at its top, so a receiver that fails is seen without
    reading every row. By status, not by time: attempts a moved clock made share one second."""
    for row in rows:  # newest first
        if row.attempts and row.status in ("pending", "failed"):
            last = row.attempts[-1]
            if last.status_code is not None:
                return f"HTTP {last.status_code}"
            return last.error or "no answer"
    return ""


async def webhooks(request: Request) -> Response:
    """The page: every endpoint, oldest registered first."""
    svc = services(request)
    sections = [section(svc, e) for e in svc.store.webhooks.endpoints()]
    return page("webhooks.html", request, sections=sections)


def _section(request: Request, webhook_id: str) -> Response:
    svc = services(request)
    endpoint = svc.store.webhooks.endpoint(webhook_id)
    if endpoint is None:
        raise RequestError(404, "no such webhook: it was removed", "webhook")
    return fragment("_webhook.html", s=section(svc, endpoint), now=svc.clock.now())


async def endpoint(request: Request) -> Response:
    """One endpoint's section (what a pending delivery's polling asks for)."""
    return _section(request, request.path_params["webhook"])


async def redeliver(request: Request) -> Response:
    """Deliver one again now; answers its endpoint's section, the delivery pending."""
    found = await redeliver_from_path(request)
    return _section(request, found.webhook)


__all__ = ["FORMATS", "endpoint", "redeliver", "section", "webhooks"]
