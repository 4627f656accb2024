"""The simulator's vocabulary: what becomes of a message to one recipient, as a plan of steps.

A rule (an SES simulator address, a Resend test address, a scenario address of ours, a user's
rule, the suppression list) decides an `Outcome`; the simulator turns each `Step` into a stored
event at `accepted + step.after` on the injected clock; the provider payload builders
(`ses_events`, `resend_events`) turn a step and its detail into each provider's own JSON.
Provider-neutral on purpose: one plan serves mail that came by SMTP, SES or Resend.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """What happened, in SES's terms (Resend's names are mapped by its payload builder)."""

    SEND = "send"
    DELIVERY = "delivery"
    BOUNCE = "bounce"
    COMPLAINT = "complaint"
    DELIVERY_DELAY = "delivery_delay"
    REJECT = "reject"
    OPEN = "open"
    CLICK = "click"
    RENDERING_FAILURE = "rendering_failure"
    SUPPRESSED = "suppressed"  # Resend's email.suppressed; SES reports it as a Bounce


@dataclass(frozen=True)
class Delivery:
    smtp_response: str = "250 2.6.0 Message received"
    reporting_mta: str = "a8-70.smtp-out.amazonses.com"
    remote_mta_ip: str = "192.0.2.25"
    processing_ms: int = 546


@dataclass(frozen=True)
class Bounce:
    """An SES-style bounce; `status`/`diagnostic`/`action` are the DSN fields (absent for ooto)."""

    type: str = "Permanent"  # Permanent | Transient | Undetermined
    subtype: str = "General"  # General | NoEmail | Suppressed | OnAccountSuppressionList | ...
    status: str | None = "5.1.1"
    diagnostic: str | None = "smtp; 550 5.1.1 user unknown"
    action: str | None = "failed"
    reporting_mta: str | None = "dsn; a8-96.smtp-out.amazonses.com"
    message: str = "The recipient's mail server permanently rejected the email."

    @property
    def permanent(self) -> bool:
        return self.type == "Permanent"


@dataclass(frozen=True)
class Complaint:
    feedback_type: str | None = "abuse"  # abuse | auth-failure | fraud | not-spam | other | virus
    subtype: str | None = None  # None | OnAccountSuppressionList
    user_agent: str | None = "Amazon SES Mailbox Simulator"


@dataclass(frozen=True)
class Delay:
    delay_type: str = "MailboxFull"  # SES's delayType values
    status: str = "4.2.2"
    diagnostic: str = "smtp; 452 4.2.2 Mailbox full"
    expires_after: float = 86400.0  # seconds after the delay event until SES would give up


@dataclass(frozen=True)
class Reject:
    reason: str = "Bad content"


@dataclass(frozen=True)
class Engagement:
    """An open or a click: who, from where, and (clicks) which link."""

    ip_address: str = "192.0.2.1"
    user_agent: str = "Mozilla/5.0"
    link: str = ""


Detail = Delivery | Bounce | Complaint | Delay | Reject | Engagement


@dataclass(frozen=True)
class Step:
    """One event of the plan, `after` seconds after the provider accepted the message."""

    after: float
    kind: Kind
    detail: Detail | None = None


@dataclass(frozen=True)
class Outcome:
    """The plan for one recipient, and what it means beyond its events.

    `decided_by` says which rule chose it (shown in the UI and the API); `suppress` is the reason
    the address joins the suppression list ("BOUNCE" or "COMPLAINT"), if it does; `auto_reply`
    sends an out-of-office reply to the Return-Path (SES's ooto address).
    """

    name: str
    steps: tuple[Step, ...]
    decided_by: str = "default"
    suppress: str | None = None
    auto_reply: bool = False

    @property
    def final(self) -> Kind:
        """The last thing that happens, as Resend's `last_event` reports it."""
        return self.steps[-1].kind if self.steps else Kind.SEND
