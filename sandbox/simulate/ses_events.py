"""SES's event JSON, built from one step of a plan (providers.md C1-C4, SES developer guide).

Two flavours, as SES has them:

- `publishing_event` — configuration-set event publishing, top-level `eventType`: Send,
  Delivery, Bounce, Complaint, Reject, Open, Click, `Rendering Failure` (with the space),
  DeliveryDelay. This is what SNS, EventBridge and Firehose destinations carry.
- `feedback_notification` — identity-level notifications, top-level `notificationType`, only
  Bounce, Complaint and Delivery.

One event may cover several recipients of one message: SES combines the simulator bounces of one
send into one bounce (`bouncedRecipients` lists them all); `combine` groups equal steps so the
engine builds one event per group. Field rules, each from SES's documentation or its observed
payloads: DSN fields (`action`, `status`, `diagnosticCode`, `reportingMTA`) only when the bounce
had a DSN (ooto has none); `complaintSubType` always present, `null` unless the address was on the
account's list; `userAgent`, `complaintFeedbackType`, `arrivalDate` only with a feedback report;
`processingTimeMillis` is the delivery time minus `mail.timestamp` (11893 in the guide's example);
`remoteMtaIp` omitted when empty. `Kind.SUPPRESSED` is a Bounce (or, for an address suppressed
by a complaint, a Complaint with subtype `OnAccountSuppressionList`), as SES reports it.

`event_json` serialises compactly, as SES does; SNS adds the trailing newline (see
`mailyard.sandbox.webhooks.sns_envelope`).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from mailyard.sandbox.errors import InvalidInputError
from mailyard.sandbox.simulate.outcomes import (
    Bounce,
    Complaint,
    Delay,
    Delivery,
    Detail,
    Engagement,
    Kind,
    Reject,
    Step,
)
from mailyard.sandbox.simulate.ses_mail import Json, SESMail, feedback_id, mail_object
from mailyard.sandbox.simulate.stamps import iso_ms

EVENT_TYPES: dict[Kind, str] = {
    Kind.SEND: "Send",
    Kind.DELIVERY: "Delivery",
    Kind.BOUNCE: "Bounce",
    Kind.COMPLAINT: "Complaint",
    Kind.REJECT: "Reject",
    Kind.OPEN: "Open",
    Kind.CLICK: "Click",
    Kind.RENDERING_FAILURE: "Rendering Failure",
    Kind.DELIVERY_DELAY: "DeliveryDelay",
}
# The key of the event's own object, by eventType.
_OBJECT_KEYS = {
    "Send": "send",
    "Delivery": "delivery",
    "Bounce": "bounce",
    "Complaint": "complaint",
    "Reject": "reject",
    "Open": "open",
    "Click": "click",
    "Rendering Failure": "failure",
    "DeliveryDelay": "deliveryDelay",
}
# SES writes these objects before `mail` (the guide's and the observed examples).
_OBJECT_FIRST = frozenset({"Bounce", "Complaint", "Click"})
FEEDBACK_TYPES = frozenset({"Bounce", "Complaint", "Delivery"})
D = TypeVar("D", bound=Detail)


@dataclass(frozen=True)
class RenderingFailure:
    """What a Rendering Failure reports: the template and SES's message about it."""

    template_name: str
    error_message: str


def combine(steps: Iterable[tuple[str, Step]]) -> list[tuple[Step, tuple[str, ...]]]:
    """Group (recipient, step) pairs of one message whose steps are equal (same kind, detail and
    time) into one event each, in first-seen order, recipients in their given order."""
    groups: dict[Step, list[str]] = {}
    for recipient, step in steps:
        groups.setdefault(step, []).append(recipient)
    return [(step, tuple(recipients)) for step, recipients in groups.items()]


def event_type(step: Step) -> str:
    """SES's name for what the step reports (`Kind.SUPPRESSED` reads its detail)."""
    if step.kind is Kind.SUPPRESSED:
        return "Complaint" if isinstance(step.detail, Complaint) else "Bounce"
    return EVENT_TYPES[step.kind]


def publishing_event(
    mail: SESMail,
    step: Step,
    recipients: Sequence[str],
    at: float,
    *,
    rng: random.Random,
    link_tags: Mapping[str, Sequence[str]] | None = None,
    rendering: RenderingFailure | None = None,
) -> Json:
    """One event-publishing record (`eventType`). `rng` draws bounce/complaint `feedbackId`s;
    `link_tags` are a click's `ses:tags`; `rendering` is required for a Rendering Failure."""
    name = event_type(step)
    body = _object(name, mail, step, recipients, at, rng, link_tags, rendering)
    mail_json = mail_object(
        mail,
        publishing=True,
        with_headers=name != "Rendering Failure",
        delivered=name == "Delivery",
    )
    key = _OBJECT_KEYS[name]
    if name in _OBJECT_FIRST:
        return {"eventType": name, key: body, "mail": mail_json}
    return {"eventType": name, "mail": mail_json, key: body}


def feedback_notification(
    mail: SESMail, step: Step, recipients: Sequence[str], at: float, *, rng: random.Random
) -> Json:
    """One feedback notification (`notificationType`): Bounce, Complaint or Delivery only."""
    name = event_type(step)
    if name not in FEEDBACK_TYPES:
        raise InvalidInputError(
            f"feedback notifications are only Bounce, Complaint and Delivery, not {name}",
            field="step.kind",
        )
    body = _object(name, mail, step, recipients, at, rng, None, None)
    mail_json = mail_object(mail, publishing=False)
    key = _OBJECT_KEYS[name]
    if name == "Delivery":
        return {"notificationType": name, "mail": mail_json, key: body}
    return {"notificationType": name, key: body, "mail": mail_json}


def event_json(event: Mapping[str, object]) -> str:
    """The record as SES serialises it: compact JSON, non-ASCII kept as UTF-8."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)


def _object(
    name: str,
    mail: SESMail,
    step: Step,
    recipients: Sequence[str],
    at: float,
    rng: random.Random,
    link_tags: Mapping[str, Sequence[str]] | None,
    rendering: RenderingFailure | None,
) -> Json:
    if not recipients and name in ("Delivery", "Bounce", "Complaint", "DeliveryDelay"):
        raise InvalidInputError(f"a {name} event needs at least one recipient", "recipients")
    when = iso_ms(at)
    if name == "Send":
        return {}
    if name == "Delivery":
        return _delivery(_detail(step, Delivery), mail, recipients, at, when)
    if name == "Bounce":
        bounce = _detail(step, Bounce)
        return _bounce(bounce, recipients, when, feedback_id(mail.message_id, at, rng))
    if name == "Complaint":
        complaint = _detail(step, Complaint)
        return _complaint(complaint, recipients, when, feedback_id(mail.message_id, at, rng))
    if name == "Reject":
        return {"reason": _detail(step, Reject).reason}
    if name == "DeliveryDelay":
        return _delay(_detail(step, Delay), recipients, at, when)
    if name in ("Open", "Click"):
        return _engagement(_detail(step, Engagement), when, name == "Click", link_tags)
    if rendering is None:
        raise InvalidInputError("a Rendering Failure needs the template and message", "rendering")
    return {"errorMessage": rendering.error_message, "templateName": rendering.template_name}


def _detail(step: Step, kind: type[D]) -> D:
    """The step's detail, or the kind's default; a detail of another kind is a caller's bug."""
    if step.detail is None:
        return kind()
    if not isinstance(step.detail, kind):
        raise InvalidInputError(
            f"a {step.kind.value} step needs a {kind.__name__} detail,"
            f" not {type(step.detail).__name__}",
            field="step.detail",
        )
    return step.detail


def _delivery(
    delivery: Delivery, mail: SESMail, recipients: Sequence[str], at: float, when: str
) -> Json:
    out: Json = {
        "timestamp": when,
        "processingTimeMillis": max(0, round((at - mail.accepted) * 1000)),
        "recipients": list(recipients),
        "smtpResponse": delivery.smtp_response,
        "reportingMTA": delivery.reporting_mta,
    }
    if delivery.remote_mta_ip:
        out["remoteMtaIp"] = delivery.remote_mta_ip
    return out


def _bounce(bounce: Bounce, recipients: Sequence[str], when: str, feedback: str) -> Json:
    listed: list[Json] = []
    for address in recipients:
        entry: Json = {"emailAddress": address}
        dsn = [("action", bounce.action), ("status", bounce.status)]
        dsn.append(("diagnosticCode", bounce.diagnostic))
        entry.update({key: value for key, value in dsn if value is not None})
        listed.append(entry)
    out: Json = {
        "bounceType": bounce.type,
        "bounceSubType": bounce.subtype,
        "bouncedRecipients": listed,
        "timestamp": when,
        "feedbackId": feedback,
    }
    if bounce.reporting_mta is not None:
        out["reportingMTA"] = bounce.reporting_mta
    return out


def _complaint(complaint: Complaint, recipients: Sequence[str], when: str, feedback: str) -> Json:
    out: Json = {
        "complainedRecipients": [{"emailAddress": address} for address in recipients],
        "timestamp": when,
        "feedbackId": feedback,
        "complaintSubType": complaint.subtype,
    }
    if complaint.user_agent is not None:
        out["userAgent"] = complaint.user_agent
    if complaint.feedback_type is not None:  # a feedback report came with the complaint
        out["complaintFeedbackType"] = complaint.feedback_type
        out["arrivalDate"] = when
    return out


def _delay(delay: Delay, recipients: Sequence[str], at: float, when: str) -> Json:
    return {
        "timestamp": when,
        "delayType": delay.delay_type,
        "expirationTime": iso_ms(at + delay.expires_after),
        "delayedRecipients": [
            {"emailAddress": a, "status": delay.status, "diagnosticCode": delay.diagnostic}
            for a in recipients
        ],
    }


def _engagement(
    engagement: Engagement,
    when: str,
    click: bool,
    link_tags: Mapping[str, Sequence[str]] | None,
) -> Json:
    out: Json = {"ipAddress": engagement.ip_address}
    if click:
        out["link"] = engagement.link
        if link_tags is not None:
            out["linkTags"] = {key: list(values) for key, values in link_tags.items()}
    out["timestamp"] = when
    out["userAgent"] = engagement.user_agent
    return out
