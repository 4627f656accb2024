"""The message page's Delivery tab: each recipient's outcome at a glance, then the simulator's
events in order, each with its key detail and its provider JSON (collapsed).

An htmx fragment (`/ui/message/{id}/delivery`), fetched when the page opens and again whenever
the live stream says this message has new events (delivery.js), so the tab follows the
simulator without a reload. The provider JSON is the very payload the events API and the
webhooks carry (`render_payload`), in the message's own provider's shape unless `format` asks
for another.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mailyard.sandbox import (
    About,
    InvalidInputError,
    Kind,
    StoredEvent,
    render_payload,
)
from mailyard.web.api.reading import off_loop, read_about
from mailyard.web.errors import RequestError
from mailyard.web.services import services
from mailyard.web.ui.marks import Mark, mark, state_of, word
from mailyard.web.ui.templating import fragment

FORMATS = {"ses": "SES event publishing", "ses-feedback": "SES notification", "resend": "Resend"}
MAX_SHOWN = 200  # recipients listed; the rest are counted
MAX_EVENTS = 1000  # the events API's own bound
TITLES: dict[Kind, str] = {
    Kind.SEND: "Sent",
    Kind.DELIVERY: "Delivered",
    Kind.DELIVERY_DELAY: "Delayed",
    Kind.BOUNCE: "Bounced",
    Kind.COMPLAINT: "Complaint",
    Kind.REJECT: "Rejected",
    Kind.OPEN: "Opened",
    Kind.CLICK: "Clicked",
    Kind.RENDERING_FAILURE: "Rendering failure",
    Kind.SUPPRESSED: "Suppressed",
}


@dataclass(frozen=True)
class Entry:
    """One event as the timeline shows it."""

    id: int
    kind: str
    title: str
    at: str  # ISO 8601, UTC
    due: float
    recipients: tuple[str, ...]
    summary: str  # the key detail, one line
    more: str  # a second line (a diagnostic, a user agent), or ""
    name: str  # the event's name in the provider's JSON (eventType, type...)
    payload: str  # the provider JSON, indented; "" when the format has no such event
    note: str  # why there is no payload


@dataclass(frozen=True)
class Recipient:
    """One recipient's plan and where it stands."""

    address: str
    state: str
    plan: str
    decided_by: str
    suppress: str | None


def iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def until(seconds: float) -> str:
    """`in 59 min`: how long until a scheduled event, as the list says "3 min ago"."""
    seconds = int(seconds)
    if seconds <= 0:
        return "due now"
    for unit, length in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= length:
            return f"in {seconds // length} {unit}"
    return f"in {seconds} s"


def describe(kind: Kind, detail: dict[str, Any]) -> tuple[str, str]:
    """The key detail of an event, and a second line, from its provider-neutral detail."""
    get = detail.get
    if kind is Kind.DELIVERY:
        return str(get("smtp_response") or "Delivered"), str(get("reporting_mta") or "")
    if kind is Kind.BOUNCE:
        status = f", status {get('status')}" if get("status") else ""
        return f"{get('type')}/{get('subtype')}{status}", str(get("diagnostic") or "")
    if kind is Kind.COMPLAINT:
        said = f"feedback type {get('feedback_type')}" if get("feedback_type") else "no type"
        subtype = f" ({get('subtype')})" if get("subtype") else ""
        return said + subtype, str(get("user_agent") or "")
    if kind is Kind.DELIVERY_DELAY:
        summary = f"{get('delay_type')}, status {get('status')}"
        return summary, str(get("diagnostic") or "")
    if kind is Kind.REJECT:
        return str(get("reason") or "Rejected"), ""
    if kind in (Kind.OPEN, Kind.CLICK):
        seen = f"from {get('ip_address')}"
        return (str(get("link")) if kind is Kind.CLICK else seen), (
            f"{seen}, {get('user_agent')}" if kind is Kind.CLICK else str(get("user_agent"))
        )
    if kind is Kind.SUPPRESSED:
        why = "a complaint" if "feedback_type" in detail else "a bounce"
        return f"On the suppression list after {why}", "not sent: the provider never tried"
    if kind is Kind.SEND:
        return "Accepted by the provider", ""
    return "", ""


def _name(payload: dict[str, Any]) -> str:
    for key in ("eventType", "notificationType", "type"):
        if isinstance(payload.get(key), str):
            return str(payload[key])
    return ""


def entry(event: StoredEvent, about: About, provider: str) -> Entry:
    detail = asdict(event.detail) if event.detail is not None else {}
    summary, more = describe(event.kind, detail)
    payload, note = "", ""
    try:
        body = render_payload(
            event, about, provider.split("-")[0], feedback=provider == "ses-feedback"
        )
    except (InvalidInputError, ValueError) as exc:  # SES sends no notification of this kind
        note = str(exc)
    else:
        payload = json.dumps(body, indent=2, ensure_ascii=False)
    return Entry(
        event.id,
        event.kind.value,
        TITLES.get(event.kind, event.kind.value),
        iso(event.due),
        event.due,
        event.recipients,
        summary,
        more,
        _name(json.loads(payload)) if payload else "",
        payload,
        note,
    )


async def delivery(request: Request) -> Response:
    """The Delivery tab of one message, as an htmx fragment."""
    svc = services(request)
    record = svc.store.messages.get(request.path_params["id"])
    chosen = request.query_params.get("format") or None
    if chosen is not None and chosen not in FORMATS:
        raise RequestError(400, f"format must be one of {', '.join(FORMATS)}", "format")
    deliveries = svc.store.deliveries
    seq = record.summary.seq
    plans = deliveries.for_message(seq)
    where = dict(deliveries.last_outcomes([seq]).get(seq, []))
    soft = {who for _, who in deliveries.transient_bounces([seq])}  # soft bounces read apart
    recipients = [
        Recipient(
            p.recipient,
            state_of(where.get(p.recipient, p.last_event), p.recipient.lower() in soft),
            p.outcome,
            p.decided_by,
            p.suppress,
        )
        for p in plans[:MAX_SHOWN]
    ]
    # In the order they happen: an open recorded during a delay comes before the delivery that
    # was planned (and stored) first.
    events = deliveries.of_message(seq, limit=MAX_EVENTS)
    about = await off_loop(record.summary.size, read_about, request, record)
    provider = chosen or about.default_provider()
    entries = [entry(e, about, provider) for e in events]
    overall: Mark | None = mark(list(where.items()), soft)
    clock = svc.clock
    return fragment(
        "_delivery.html",
        m=record.summary,
        recipients=recipients,
        hidden=max(0, len(plans) - MAX_SHOWN),
        happened=[e for e, s in zip(entries, events, strict=True) if s.occurred],
        scheduled=[e for e, s in zip(entries, events, strict=True) if not s.occurred],
        overall=overall,
        cut=len(events) >= MAX_EVENTS,
        formats=FORMATS,
        word=word,
        provider=provider,
        now=clock.now(),
        until=lambda due: until(due - clock.now()),
        movable=clock.movable,
        simulator=svc.settings.simulator,
    )


__all__ = ["FORMATS", "Entry", "Recipient", "delivery", "describe", "entry", "until"]
