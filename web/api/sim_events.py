"""The simulator's events over HTTP: the feed (filtered, long-polled like messages/wait), one
message's timeline with each recipient's outcome, and opens and clicks a test asks for."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mailyard.sandbox import (
    About,
    Engagement,
    EventsOccurred,
    Kind,
    MessageRecord,
    NotFoundError,
    Step,
    StoredEvent,
    render_payload,
)
from mailyard.web.api.describe import (
    ERROR,
    ID,
    MAILBOX,
    NOT_FOUND,
    json_body,
    json_response,
    obj,
    operation,
    query,
    strings,
)
from mailyard.web.api.params import float_param, int_param, known_fields, read_json, str_param
from mailyard.web.api.reading import off_loop, read_about
from mailyard.web.errors import RequestError
from mailyard.web.services import Services, services

MAX_WAIT = 300.0
FORMATS = ("ses", "ses-feedback", "resend")
# What a filter may name: our kinds, SES's event types, Resend's event names.
KIND_NAMES: dict[str, Kind] = {kind.value: kind for kind in Kind}
KIND_NAMES |= {
    "send": Kind.SEND,
    "delivery": Kind.DELIVERY,
    "bounce": Kind.BOUNCE,
    "complaint": Kind.COMPLAINT,
    "deliverydelay": Kind.DELIVERY_DELAY,
    "reject": Kind.REJECT,
    "open": Kind.OPEN,
    "click": Kind.CLICK,
    "rendering failure": Kind.RENDERING_FAILURE,
    "email.sent": Kind.SEND,
    "email.delivered": Kind.DELIVERY,
    "email.delivery_delayed": Kind.DELIVERY_DELAY,
    "email.bounced": Kind.BOUNCE,
    "email.complained": Kind.COMPLAINT,
    "email.opened": Kind.OPEN,
    "email.clicked": Kind.CLICK,
    "email.failed": Kind.REJECT,
    "email.suppressed": Kind.SUPPRESSED,
}
EVENT = obj(
    id={"type": "integer", "description": "A cursor: pass it as `after`"},
    kind={"enum": [k.value for k in Kind]},
    messageId={"type": "string"},
    providerMessageId={"type": "string"},
    mailbox={"type": "string"},
    recipients=strings(),
    at={"type": "string", "format": "date-time"},
    provider={"enum": list(FORMATS)},
    payload={"type": "object", "description": "The event in the provider's own JSON"},
)
_FORMAT = query("format", "ses, ses-feedback or resend (default: by how the message came)")


def _kinds(request: Request) -> tuple[Kind, ...]:
    found = []
    for value in request.query_params.getlist("type"):
        for name in value.split(","):
            kind = KIND_NAMES.get(name.strip().lower())
            if kind is None and name.strip():
                raise RequestError(400, f"unknown event type {name.strip()[:40]!r}", "type")
            if kind is not None:
                found.append(kind)
    return tuple(found)


def _format(request: Request) -> str | None:
    value = str_param(request, "format")
    if value is not None and value not in FORMATS:
        raise RequestError(400, f"format must be one of {', '.join(FORMATS)}", "format")
    return value


class _Renderer:
    """Renders events in their provider's JSON, reading each message once per request (its
    header block only, off the event loop when the message is big: `read_about`)."""

    def __init__(self, request: Request, chosen: str | None) -> None:
        self._request = request
        self._chosen = chosen
        self._about: dict[str, About | None] = {}

    async def _read(self, message_ids: Iterable[str]) -> None:
        messages = services(self._request).store.messages
        for message_id in message_ids:
            if message_id in self._about:
                continue
            try:
                record: MessageRecord = messages.get(message_id)
                about = await off_loop(record.summary.size, read_about, self._request, record)
            except NotFoundError:
                self._about[message_id] = None
            else:
                self._about[message_id] = about

    def about(self, message_id: str) -> About | None:
        return self._about.get(message_id)

    def json(self, event: StoredEvent) -> dict[str, Any]:
        about = self.about(event.message_id)
        out: dict[str, Any] = {
            "id": event.id,
            "kind": event.kind.value,
            "messageId": event.message_id,
            "mailbox": event.mailbox,
            "recipients": list(event.recipients),
            "at": _rfc3339(event.due),
        }
        if about is None:
            return out
        provider = self._chosen or about.default_provider()
        out["provider"] = provider
        out["providerMessageId"] = about.provider_message_id(provider)
        try:
            out["payload"] = render_payload(
                event, about, provider.split("-")[0], feedback=provider == "ses-feedback"
            )
        except ValueError as exc:  # SES has no feedback notification for this kind
            out["payload"] = None
            out["note"] = str(exc)
        return out

    async def all(self, events: Iterable[StoredEvent]) -> list[dict[str, Any]]:
        listed = list(events)
        await self._read(e.message_id for e in listed)
        return [self.json(e) for e in listed]


def _rfc3339(at: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@operation(
    "mailyard: the simulator's events, oldest first after a cursor; long-polls with `wait`",
    description="Filter by type (our kinds, SES's event types or Resend's names, comma "
    "separated), recipient, mailbox and message. With `wait`, answers as soon as a matching "
    "event happens, or with an empty list after `wait` seconds.",
    parameters=[
        query("after", "The cursor of the last event seen", {"type": "integer", "minimum": 0}),
        query("type", "Event types, comma separated"),
        query("recipient", "Only events about this recipient"),
        query("message", "Only events about this message ID"),
        MAILBOX,
        query("limit", "At most this many", {"type": "integer", "minimum": 1, "maximum": 1000}),
        query("wait", "Seconds to wait for one, 0-300", {"type": "number", "minimum": 0}),
        _FORMAT,
    ],
    responses={
        "200": json_response(
            obj(events={"type": "array", "items": EVENT}, cursor={"type": "integer"})
        ),
        "400": ERROR,
    },
)
async def list_events(request: Request) -> Response:
    svc = services(request)
    deliveries = svc.store.deliveries
    filters: dict[str, Any] = {
        "after": int_param(request, "after", 0),
        "mailbox": str_param(request, "mailbox"),
        "message_id": str_param(request, "message"),
        "recipient": str_param(request, "recipient"),
        "kinds": _kinds(request),
        "limit": int_param(request, "limit", 100, low=1, high=1000),
    }
    renderer = _Renderer(request, _format(request))
    wait = float_param(request, "wait", 0.0, 0.0, MAX_WAIT)
    found = deliveries.events(**filters)
    if not found and wait:
        with svc.bus.subscribe(EventsOccurred, limit=100) as subscription:
            found = deliveries.events(**filters)  # anything between the read and subscribing
            deadline = asyncio.get_running_loop().time() + wait
            while not found:
                left = deadline - asyncio.get_running_loop().time()
                if left <= 0:
                    break
                try:
                    told = await subscription.get(left)
                except StopAsyncIteration:
                    raise RequestError(
                        503, "mailyard is shutting down", code="shutting_down"
                    ) from None
                if told is not None:
                    found = deliveries.events(**filters)
    cursor = found[-1].id if found else max(filters["after"], deliveries.cursor())
    return JSONResponse({"events": await renderer.all(found), "cursor": cursor})


def _record(svc: Services, request: Request) -> MessageRecord:
    return svc.store.messages.get(request.path_params["id"], str_param(request, "mailbox"))


@operation(
    "mailyard: one message's delivery: each recipient's outcome and the events so far",
    parameters=[ID, MAILBOX, _FORMAT],
    responses={
        "200": json_response(
            obj(
                ID={"type": "string"},
                recipients={
                    "type": "array",
                    "items": obj(
                        recipient={"type": "string"},
                        outcome={"type": "string"},
                        decidedBy={"type": "string"},
                        lastEvent={"type": "string"},
                        suppressed={"type": ["string", "null"]},
                    ),
                },
                events={"type": "array", "items": EVENT},
                scheduled={"type": "array", "items": EVENT},
            )
        ),
        "404": NOT_FOUND,
    },
)
async def message_events(request: Request) -> Response:
    svc = services(request)
    record = _record(svc, request)
    seq, message_id = record.summary.seq, record.summary.id
    deliveries = svc.store.deliveries
    everything = deliveries.events(message_id=message_id, include_scheduled=True, limit=1000)
    renderer = _Renderer(request, _format(request))
    return JSONResponse(
        {
            "ID": message_id,
            "recipients": [
                {
                    "recipient": d.recipient,
                    "outcome": d.outcome,
                    "decidedBy": d.decided_by,
                    "lastEvent": d.last_event.value,
                    "suppressed": d.suppress,
                }
                for d in deliveries.for_message(seq)
            ],
            "events": await renderer.all(e for e in everything if e.occurred),
            "scheduled": await renderer.all(e for e in everything if not e.occurred),
        }
    )


@operation(
    "mailyard: record an open or a click of a message, as a reader's mail client would",
    parameters=[ID, MAILBOX],
    body=json_body(
        {
            **obj(
                type={"enum": ["open", "click"]},
                recipient={"type": "string"},
                link={"type": "string"},
                ipAddress={"type": "string"},
                userAgent={"type": "string"},
            ),
            "required": ["type"],
        },
        required=True,
    ),
    responses={"200": json_response(EVENT), "400": ERROR, "404": NOT_FOUND},
)
async def add_engagement(request: Request) -> Response:
    svc = services(request)
    record = _record(svc, request)
    body = known_fields(
        await read_json(request), "type", "recipient", "link", "ipAddress", "userAgent"
    )
    kind = {"open": Kind.OPEN, "click": Kind.CLICK}.get(str(body.get("type", "")))
    if kind is None:
        raise RequestError(400, "type must be open or click", "type")
    recipients = record.envelope.rcpt_to
    recipient = body.get("recipient") or (recipients[0] if recipients else "")
    if not isinstance(recipient, str) or recipient.lower() not in {r.lower() for r in recipients}:
        raise RequestError(400, "recipient must be one of the message's recipients", "recipient")
    link = body.get("link") or ""
    if kind is Kind.CLICK and not (isinstance(link, str) and link):
        raise RequestError(400, "a click needs the link it followed", "link")
    detail = Engagement(
        ip_address=str(body.get("ipAddress") or "192.0.2.1"),
        user_agent=str(body.get("userAgent") or "Mozilla/5.0 (mailyard test)"),
        link=str(link),
    )
    event = await svc.store.deliveries.add_event(
        record.summary.seq,
        record.summary.id,
        record.summary.mailbox,
        Step(0.0, kind, detail),
        (recipient,),
        svc.clock.now(),
    )
    return JSONResponse((await _Renderer(request, None).all([event]))[0])
