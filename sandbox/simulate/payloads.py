"""Each provider's JSON for a stored event: what a webhook receives and the events API shows.

Rendered when read, from the provider-neutral event row and the message it is about, and
deterministic: the same event always renders the same bytes (a feedbackId is drawn from a
generator seeded by the event's id), so a webhook retry and an API read agree.

Mail that came by SMTP has no provider ids of its own: it gets an SES-shaped message id and a
Resend-shaped email id derived from mailyard's message id, stable for the message's life.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mailyard.sandbox.simulate.resend_events import ResendMail, resend_event
from mailyard.sandbox.simulate.ses_events import feedback_notification, publishing_event
from mailyard.sandbox.simulate.ses_mail import CommonHeaders, SESMail, ses_message_id
from mailyard.sandbox.store.event_records import StoredEvent

if TYPE_CHECKING:  # the message's reader loads with the first event, not at start
    from mailyard.sandbox.mail.view import MessageView
    from mailyard.sandbox.store.records import MessageRecord

Json = dict[str, Any]
DEFAULT_ACCOUNT = "123456789012"  # the account id in AWS's own documentation examples
DEFAULT_REGION = "us-east-1"
PROVIDERS = ("ses", "resend")
_NAMESPACE = uuid.UUID("7d3c9a4e-6f2b-5b1a-9c0e-4d8f2a6b1c3e")


@dataclass(frozen=True)
class About:
    """The message an event is about, with what its provider knew of it."""

    record: MessageRecord
    headers: tuple[tuple[str, str], ...]
    provider: dict[str, Any]

    @classmethod
    def of(cls, record: MessageRecord, view: MessageView) -> About:
        try:
            provider = json.loads(record.envelope.provider_json or "{}")
        except ValueError:
            provider = {}
        return cls(record, tuple(view.headers), provider if isinstance(provider, dict) else {})

    @property
    def source(self) -> str:
        return self.record.envelope.source

    def provider_message_id(self, provider: str) -> str:
        """The id the provider's payloads carry: SES's MessageId or Resend's email id."""
        return resend_id(self) if provider == "resend" else ses_id(self)

    def default_provider(self) -> str:
        """The shape its events take unless asked otherwise: Resend's for mail sent to the
        Resend emulator, SES's for everything else (SMTP included)."""
        return "resend" if self.source == "resend" else "ses"


def ses_id(about: About) -> str:
    """The SES MessageId: the emulator's, or one derived from mailyard's id."""
    if about.record.envelope.provider_id and about.source.startswith("ses"):
        return about.record.envelope.provider_id
    summary = about.record.summary
    return ses_message_id(_created(about), random.Random(summary.id))


def resend_id(about: About) -> str:
    """The Resend email id: the emulator's, or a UUID derived from mailyard's id."""
    if about.record.envelope.provider_id and about.source == "resend":
        return about.record.envelope.provider_id
    return str(uuid.uuid5(_NAMESPACE, about.record.summary.id))


def _created(about: About) -> float:
    from datetime import datetime

    try:
        return datetime.fromisoformat(
            about.record.summary.created.replace("Z", "+00:00")
        ).timestamp()
    except ValueError:
        return 0.0


def ses_mail(about: About) -> SESMail:
    record, facts = about.record, about.provider
    summary = record.summary
    sender = record.envelope.mail_from or (summary.sender.address if summary.sender else "")
    domain = sender.rpartition("@")[2] or "mailyard.test"
    region = str(facts.get("region") or DEFAULT_REGION)
    account = str(facts.get("account") or DEFAULT_ACCOUNT)
    identity = str(facts.get("identity") or domain)
    tags = facts.get("tags") or []
    return SESMail(
        message_id=ses_id(about),
        accepted=_created(about),
        source=str(facts.get("source") or sender),
        source_arn=f"arn:aws:ses:{region}:{account}:identity/{identity}",
        sending_account_id=account,
        destination=record.envelope.rcpt_to,
        headers=about.headers,
        common_headers=CommonHeaders.from_headers(about.headers, ses_id(about)),
        configuration_set=facts.get("configuration_set"),
        tags=tuple((str(t[0]), str(t[1])) for t in tags if isinstance(t, list | tuple)),
        caller_identity=facts.get("caller_identity"),
        source_ip=facts.get("source_ip") or record.envelope.client_addr.rpartition(":")[0] or None,
        from_domain=domain,
        operation=facts.get("operation"),
        outgoing_ip="192.0.2.10",
    )


def resend_mail(about: About) -> ResendMail:
    record, facts = about.record, about.provider
    summary = record.summary
    sender = summary.sender
    from_ = (
        f"{sender.name} <{sender.address}>"
        if sender and sender.name
        else (sender.address if sender else record.envelope.mail_from)
    )
    tags = facts.get("tags") or []
    return ResendMail(
        email_id=resend_id(about),
        created_at=_created(about),
        from_=from_,
        to=record.envelope.rcpt_to,
        subject=summary.subject,
        message_id=f"<{summary.message_id}>" if summary.message_id else None,
        tags=tuple((str(t[0]), str(t[1])) for t in tags if isinstance(t, list | tuple)),
        headers=tuple((str(h[0]), str(h[1])) for h in facts.get("headers") or []),
    )


def render(event: StoredEvent, about: About, provider: str, *, feedback: bool = False) -> Json:
    """The event in `provider`'s JSON: SES event publishing (or, with `feedback`, an SES
    feedback notification), or Resend's webhook payload."""
    rng = random.Random(f"{event.id}:{event.seq}")
    if provider == "resend":
        return resend_event(resend_mail(about), event.step, event.recipients, event.due)
    if feedback:
        return feedback_notification(
            ses_mail(about), event.step, event.recipients, event.due, rng=rng
        )
    return publishing_event(ses_mail(about), event.step, event.recipients, event.due, rng=rng)
