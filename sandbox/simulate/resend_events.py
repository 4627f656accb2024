"""Resend's webhook payloads, built from one step of a plan (providers.md D6-D7).

    {"type": "email.bounced", "created_at": "2026-11-22T23:41:12.126Z", "data": {...}}

`data` has the email's own fields (OpenAPI `OutboundEmailEventData`, resend-node's
`BaseEmailEventData`): `created_at` in Resend's Postgres-style form (`...11.894719+00:00`),
`email_id`, `from`, `to` (the recipients the event is about), `subject`, `message_id`, the
optional `broadcast_id` / `template_id`, `tags` as an object, and `headers` only when custom
headers were set. Event-specific objects keep Resend's camelCase: `bounce` (`type`, `subType`,
`message`, `diagnosticCode` as an array, one per recipient), `click`, `failed` (`reason`) and
`suppressed` (`type`, `reason` previous_bounce|previous_complaint, `message`).

What each `Kind` becomes:

| Kind | type | `last_event` |
|---|---|---|
| SEND | email.sent | sent |
| DELIVERY | email.delivered | delivered |
| DELIVERY_DELAY | email.delivery_delayed | delivery_delayed |
| BOUNCE | email.bounced | bounced |
| COMPLAINT | email.complained | complained |
| OPEN / CLICK | email.opened / email.clicked | opened / clicked |
| SUPPRESSED | email.suppressed | suppressed |
| REJECT, RENDERING_FAILURE | email.failed | failed |

Resend has no reject: a message SES would reject (and a template that cannot render) is one Resend
reports as failed. `email.suppressed` carries no `diagnosticCode` (no receiving server answered;
neither SDK types one, though the OpenAPI lists it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from mailyard.sandbox.errors import InvalidInputError
from mailyard.sandbox.simulate.outcomes import (
    Bounce,
    Complaint,
    Detail,
    Engagement,
    Kind,
    Reject,
    Step,
)
from mailyard.sandbox.simulate.stamps import iso_micro, iso_ms

Json = dict[str, object]
D = TypeVar("D", bound=Detail)

EVENT_TYPES: dict[Kind, str] = {
    Kind.SEND: "email.sent",
    Kind.DELIVERY: "email.delivered",
    Kind.DELIVERY_DELAY: "email.delivery_delayed",
    Kind.BOUNCE: "email.bounced",
    Kind.COMPLAINT: "email.complained",
    Kind.OPEN: "email.opened",
    Kind.CLICK: "email.clicked",
    Kind.SUPPRESSED: "email.suppressed",
    Kind.REJECT: "email.failed",
    Kind.RENDERING_FAILURE: "email.failed",
}
SCHEDULED = "email.scheduled"
ON_ACCOUNT_LIST = (
    "Resend has suppressed sending to this address because it is on the account-level"
    " suppression list."
)


def event_type(kind: Kind) -> str:
    """Resend's webhook event type for what happened."""
    return EVENT_TYPES[kind]


def last_event(kind: Kind) -> str:
    """`GET /emails/{id}`'s `last_event` once `kind` is the latest thing that happened."""
    return EVENT_TYPES[kind].removeprefix("email.")


@dataclass(frozen=True)
class ResendMail:
    """What Resend knew of one sent email; the input of every payload builder.

    `created_at` is the clock's time the API accepted it; `headers` are only the custom headers
    the caller set (`headers` in the send request), `tags` its `[{name, value}]` tags in order.
    """

    email_id: str
    created_at: float
    from_: str
    to: tuple[str, ...]
    subject: str
    message_id: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    broadcast_id: str | None = None
    template_id: str | None = None


def resend_event(
    mail: ResendMail,
    step: Step,
    recipients: Sequence[str],
    at: float,
    *,
    failed_reason: str | None = None,
) -> Json:
    """The webhook payload for one step. `failed_reason` is `failed.reason` for a step Resend
    reports as failed without a `Reject` detail (a template that could not render)."""
    name = event_type(step.kind)
    extra: tuple[str, Json] | None = None
    if step.kind is Kind.BOUNCE:
        extra = ("bounce", _bounce(_as(step, Bounce), recipients))
    elif step.kind is Kind.CLICK:
        extra = ("click", _click(_as(step, Engagement), at))
    elif step.kind is Kind.SUPPRESSED:
        extra = ("suppressed", _suppressed(step))
    elif name == "email.failed":
        reason = step.detail.reason if isinstance(step.detail, Reject) else failed_reason
        if reason is None:
            raise InvalidInputError("a failed email needs its reason", field="failed_reason")
        extra = ("failed", {"reason": reason})
    return _envelope(name, mail, recipients, at, extra)


def scheduled_event(mail: ResendMail, at: float) -> Json:
    """`email.scheduled`: a send with `scheduled_at` was accepted for later."""
    return _envelope(SCHEDULED, mail, mail.to, at, None)


def payload_json(event: Mapping[str, object]) -> str:
    """The body as sent: compact JSON, UTF-8 kept (the signature covers these exact bytes)."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)


def _envelope(
    name: str,
    mail: ResendMail,
    recipients: Sequence[str],
    at: float,
    extra: tuple[str, Json] | None,
) -> Json:
    data: Json = {}
    if mail.broadcast_id is not None:
        data["broadcast_id"] = mail.broadcast_id
    data["created_at"] = iso_micro(mail.created_at)
    data["email_id"] = mail.email_id
    data["from"] = mail.from_
    data["to"] = list(recipients)
    data["subject"] = mail.subject
    if mail.template_id is not None:
        data["template_id"] = mail.template_id
    if mail.message_id is not None:
        data["message_id"] = mail.message_id
    if extra is not None:
        data[extra[0]] = extra[1]
    data["tags"] = dict(mail.tags)
    if mail.headers:
        data["headers"] = [{"name": n, "value": v} for n, v in mail.headers]
    return {"type": name, "created_at": iso_ms(at), "data": data}


def _as(step: Step, kind: type[D]) -> D:
    if step.detail is None:
        return kind()
    if not isinstance(step.detail, kind):
        raise InvalidInputError(
            f"a {step.kind.value} step needs a {kind.__name__} detail,"
            f" not {type(step.detail).__name__}",
            field="step.detail",
        )
    return step.detail


def _bounce(bounce: Bounce, recipients: Sequence[str]) -> Json:
    out: Json = {"message": bounce.message, "subType": bounce.subtype, "type": bounce.type}
    if bounce.diagnostic is not None:
        out["diagnosticCode"] = [bounce.diagnostic for _ in recipients]
    return out


def _click(engagement: Engagement, at: float) -> Json:
    return {
        "ipAddress": engagement.ip_address,
        "link": engagement.link,
        "timestamp": iso_ms(at),
        "userAgent": engagement.user_agent,
    }


def _suppressed(step: Step) -> Json:
    """Why Resend did not send: the suppression entry came from a bounce or a complaint."""
    if isinstance(step.detail, Complaint):
        return {
            "message": ON_ACCOUNT_LIST,
            "reason": "previous_complaint",
            "type": "OnAccountSuppressionList",
        }
    bounce = _as(step, Bounce)
    kind = bounce.subtype if bounce.subtype == "Suppressed" else "OnAccountSuppressionList"
    message = bounce.message if kind == bounce.subtype else ON_ACCOUNT_LIST
    return {"message": message, "reason": "previous_bounce", "type": kind}
