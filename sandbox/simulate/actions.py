"""What a rule or a scenario address makes happen, and the plan of steps it becomes.

One small grammar, shared by the config file, the CLI/env one-liner, the API's JSON and (through
the scenario words) the scenario addresses:

    deliver
    bounce [permanent|transient|undetermined[/<subtype>]]      default permanent/general
    complaint [abuse|auth-failure|fraud|not-spam|other|virus]  default abuse
    delay <duration> [then deliver | then bounce [<type>[/<subtype>]]]
    reject

Subtypes are SES's (`providers.md` C3), case-insensitive: Permanent takes General, NoEmail,
Suppressed, OnAccountSuppressionList; Transient takes General, MailboxFull, MessageTooLarge,
ContentRejected, AttachmentRejected; Undetermined takes Undetermined. Each has its own DSN
fields below, so a `bounce transient/mailboxfull` reads like a real full mailbox.

Events happen at once (`after` 0) unless delayed: a test sees them without moving the clock.
A delay is one DeliveryDelay right after Send, then the final event `duration` later.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from mailyard.sandbox.simulate.outcomes import (
    Bounce,
    Complaint,
    Delay,
    Delivery,
    Kind,
    Outcome,
    Reject,
    Step,
)
from mailyard.sandbox.simulate.units import format_duration, parse_duration

MAX_DELAY = 7 * 86400.0  # SES gives up within a day; a week covers any test of "much later"
SEND = Step(0.0, Kind.SEND)

ACCOUNT_SUPPRESSED = (
    "Amazon SES did not send the message to this address because it is on the suppression list"
    " for your account. For more information about removing addresses from the suppression"
    " list, see the Amazon SES Developer Guide at"
    " https://docs.aws.amazon.com/ses/latest/DeveloperGuide/sending-email-suppression-list.html"
)
GLOBALLY_SUPPRESSED = (
    "Amazon SES has suppressed sending to this address because it has a recent history of"
    " bouncing as an invalid address. For more information about how to remove an address from"
    " the suppression list, see the Amazon SES Developer Guide:"
    " http://docs.aws.amazon.com/ses/latest/DeveloperGuide/remove-from-suppressionlist.html"
)
SES_DNS = "dns; amazonses.com"

# (type, subtype) -> the DSN a recipient's server would have sent, and Resend's `bounce.message`.
# Permanent/General is SES's own `bounce@simulator.amazonses.com` (providers.md B), word for word.
BOUNCES: dict[tuple[str, str], Bounce] = {
    ("Permanent", "General"): Bounce(),
    ("Permanent", "NoEmail"): Bounce(
        subtype="NoEmail",
        diagnostic="smtp; 550 5.1.1 The email account that you tried to reach does not exist",
        message="The recipient's email address does not exist.",
    ),
    ("Permanent", "Suppressed"): Bounce(
        subtype="Suppressed",
        diagnostic=GLOBALLY_SUPPRESSED,
        reporting_mta=SES_DNS,
        message="The recipient's email address is on the suppression list because it has a"
        " recent history of producing hard bounces.",
    ),
    ("Permanent", "OnAccountSuppressionList"): Bounce(
        subtype="OnAccountSuppressionList",
        diagnostic=ACCOUNT_SUPPRESSED,
        reporting_mta=SES_DNS,
        message="Resend has suppressed sending to this address because it is on the"
        " account-level suppression list.",
    ),
    ("Transient", "General"): Bounce(
        type="Transient",
        status="4.0.0",
        diagnostic="smtp; 450 4.0.0 Temporary failure, gave up after retrying",
        message="The recipient's mail server temporarily rejected the email.",
    ),
    ("Transient", "MailboxFull"): Bounce(
        type="Transient",
        subtype="MailboxFull",
        status="4.2.2",
        diagnostic="smtp; 452 4.2.2 Mailbox full",
        message="The recipient's mailbox is full.",
    ),
    ("Transient", "MessageTooLarge"): Bounce(
        type="Transient",
        subtype="MessageTooLarge",
        status="5.3.4",
        diagnostic="smtp; 552 5.3.4 Message size exceeds fixed maximum message size",
        message="The email is larger than the recipient's mail server accepts.",
    ),
    ("Transient", "ContentRejected"): Bounce(
        type="Transient",
        subtype="ContentRejected",
        status="5.7.1",
        diagnostic="smtp; 550 5.7.1 Message rejected due to content",
        message="The recipient's mail server rejected the email's content.",
    ),
    ("Transient", "AttachmentRejected"): Bounce(
        type="Transient",
        subtype="AttachmentRejected",
        status="5.7.1",
        diagnostic="smtp; 550 5.7.1 Message rejected: attachment type not allowed",
        message="The recipient's mail server rejected an attachment.",
    ),
    ("Undetermined", "Undetermined"): Bounce(
        type="Undetermined",
        subtype="Undetermined",
        status="5.0.0",
        diagnostic=None,
        message="The email bounced for a reason that could not be determined.",
    ),
}
_TYPES = {t.lower(): t for t, _ in BOUNCES}
_SUBTYPES = {(t.lower(), s.lower()): (t, s) for t, s in BOUNCES}
FEEDBACK_TYPES = ("abuse", "auth-failure", "fraud", "not-spam", "other", "virus")

UNREACHABLE = Delay(
    delay_type="TransientCommunicationFailure",
    status="4.4.1",
    diagnostic="smtp; 421 4.4.1 Unable to connect to remote host",
)


class Verb(StrEnum):
    DELIVER = "deliver"
    BOUNCE = "bounce"
    COMPLAINT = "complaint"
    DELAY = "delay"
    REJECT = "reject"


@dataclass(frozen=True)
class Action:
    """One parsed outcome phrase. `then` is the final action of a delay (deliver or bounce)."""

    verb: Verb
    bounce_type: str = "Permanent"
    subtype: str = "General"
    feedback: str = "abuse"
    seconds: float = 0.0
    then: Action | None = None

    @property
    def text(self) -> str:
        """The canonical phrase: `parse_action(a.text) == a` (and rules hash this text)."""
        if self.verb is Verb.BOUNCE:
            return f"bounce {self.bounce_type.lower()}/{self.subtype.lower()}"
        if self.verb is Verb.COMPLAINT:
            return f"complaint {self.feedback}"
        if self.verb is Verb.DELAY and self.then is not None:
            return f"delay {format_duration(self.seconds)} then {self.then.text}"
        return self.verb.value

    @property
    def suppress(self) -> str | None:
        """The suppression-list reason this action earns (SES adds hard bounces and complaints)."""
        final = self.then if self.then is not None else self
        if final.verb is Verb.COMPLAINT:
            return "COMPLAINT"
        hard = final.verb is Verb.BOUNCE and final.bounce_type == "Permanent"
        # An address already suppressed is not added again for bouncing off the list.
        return "BOUNCE" if hard and final.subtype in ("General", "NoEmail") else None

    def outcome(self, name: str, decided_by: str, *, user_agent: str | None) -> Outcome:
        """The plan for one recipient; `user_agent` goes into a complaint's feedback report."""
        return Outcome(name, self._steps(user_agent), decided_by, self.suppress)

    def _steps(self, user_agent: str | None) -> tuple[Step, ...]:
        if self.verb is Verb.DELIVER:
            return (SEND, Step(0.0, Kind.DELIVERY, Delivery()))
        if self.verb is Verb.BOUNCE:
            return (SEND, Step(0.0, Kind.BOUNCE, BOUNCES[self.bounce_type, self.subtype]))
        if self.verb is Verb.COMPLAINT:
            detail = Complaint(feedback_type=self.feedback, user_agent=user_agent)
            return (SEND, Step(0.0, Kind.DELIVERY, Delivery()), Step(0.0, Kind.COMPLAINT, detail))
        if self.verb is Verb.REJECT:
            return (SEND, Step(0.0, Kind.REJECT, Reject()))
        assert self.then is not None
        final = self.then._steps(user_agent)[1:]  # its Send is ours
        later = tuple(replace(step, after=step.after + self.seconds) for step in final)
        return (SEND, Step(0.0, Kind.DELIVERY_DELAY, self._delay()), *later)

    def _delay(self) -> Delay:
        """Why the first attempt failed: a full mailbox if that is how it ends, else no answer."""
        assert self.then is not None
        if self.then.verb is Verb.BOUNCE:
            if self.then.subtype == "MailboxFull":
                return Delay(expires_after=self.seconds)  # Delay's default is a full mailbox
            return replace(UNREACHABLE, expires_after=self.seconds)
        return replace(UNREACHABLE, expires_after=max(self.seconds, UNREACHABLE.expires_after))


DELIVER = Action(Verb.DELIVER)


def bounce(bounce_type: str = "permanent", subtype: str = "general") -> Action:
    """A bounce from case-insensitive SES names; ValueError lists what is allowed."""
    canonical = _TYPES.get(bounce_type.lower())
    if canonical is None:
        raise ValueError(
            f"unknown bounce type {bounce_type!r} (one of permanent, transient, undetermined)"
        )
    pair = _SUBTYPES.get((bounce_type.lower(), subtype.lower()))
    if pair is None:
        allowed = ", ".join(s for t, s in BOUNCES if t == canonical)
        raise ValueError(f"unknown {canonical} bounce subtype {subtype!r} (one of {allowed})")
    return Action(Verb.BOUNCE, bounce_type=pair[0], subtype=pair[1])


def complaint(feedback: str = "abuse") -> Action:
    if feedback.lower() not in FEEDBACK_TYPES:
        raise ValueError(
            f"unknown complaint feedback type {feedback!r} (one of {', '.join(FEEDBACK_TYPES)})"
        )
    return Action(Verb.COMPLAINT, feedback=feedback.lower())


def delay(seconds: float, then: Action = DELIVER) -> Action:
    if then.verb not in (Verb.DELIVER, Verb.BOUNCE):
        raise ValueError(f"a delay ends in deliver or bounce, not {then.verb.value}")
    return Action(Verb.DELAY, seconds=seconds, then=then)


def parse_action(text: str) -> Action:
    """An action from its phrase (see the module docstring); ValueError names the bad word."""
    words = text.lower().split()
    if not words:
        raise ValueError("an outcome is needed (deliver, bounce, complaint, delay or reject)")
    head, rest = words[0], words[1:]
    if head == "delay":
        if not rest:
            raise ValueError("delay needs a duration, e.g. 'delay 30s'")
        seconds = parse_duration(rest[0], maximum=MAX_DELAY)
        if len(rest) == 1:
            return delay(seconds)
        if rest[1] != "then" or len(rest) == 2:
            raise ValueError(f"after 'delay {rest[0]}' expected 'then deliver' or 'then bounce'")
        return delay(seconds, _simple(rest[2], rest[3:]))
    return _simple(head, rest)


def _simple(head: str, rest: list[str]) -> Action:
    if head in ("deliver", "reject"):
        if rest:
            raise ValueError(f"unexpected {rest[0]!r} after {head!r}")
        return Action(Verb(head))
    if len(rest) > 1:
        raise ValueError(f"unexpected {rest[1]!r} after {head} {rest[0]}")
    if head == "bounce":
        bounce_type, _, subtype = (rest[0] if rest else "permanent").partition("/")
        default = "undetermined" if bounce_type == "undetermined" else "general"
        return bounce(bounce_type, subtype or default)
    if head == "complaint":
        return complaint(*rest)
    raise ValueError(f"unknown outcome {head!r} (one of deliver, bounce, complaint, delay, reject)")
