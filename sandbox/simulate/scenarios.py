"""Scenario addresses: what the providers do not simulate, asked for by the recipient address,
the same over SMTP, the SES API and the Resend API.

Domain `sim.mailyard.test`. `.test` is reserved by RFC 2606 and RFC 6761 6.2 for testing, so no
such name can ever be a real recipient; of the reserved names it is the one validators let
through when asked (python-email-validator rejects special-use domains but allows `.test` with
`test_environment=True`; `.invalid` has no such switch).

Local part: `<scenario>[+<label>]`, case-insensitive, the label free and kept verbatim (use it to
give each test its own address). `<d>` is a duration (`30s`, `5m`, `2h`, `1d`, at most 7 days),
`<n>` a count from 1 to 99.

| Local part | SMTP / API answers | Events after acceptance |
|---|---|---|
| `deliver` | accepted | Send → Delivery |
| `delay-<d>` | accepted | Send → DeliveryDelay → Delivery `<d>` later |
| `delay-<d>-hardbounce[-<hard>]` | accepted | Send → DeliveryDelay → Bounce Permanent ★ |
| `delay-<d>-softbounce[-<soft>]` | accepted | Send → DeliveryDelay → Bounce Transient |
| `hardbounce[-<hard>]` | accepted | Send → Bounce Permanent/`<hard>` ★ |
| `softbounce[-<soft>]` | accepted | Send → Bounce Transient/`<soft>` |
| `complaint[-<feedback>]` | accepted | Send → Delivery → Complaint ★ |
| `reject` | accepted | Send → Reject (`Bad content`) |
| `fail-<n>x-<code>[-<stage>]` | SMTP `<code>` / API 429, `<n>` times | Send → Delivery |
| `throttle-<n>x` | SMTP 454 at RCPT / API 429, `<n>` times | Send → Delivery |

A delay's final event comes `<d>` after the DeliveryDelay. "`<n>` times" means the first `<n>`
attempts are refused and the next one is accepted.
★ adds the address to the suppression list (BOUNCE, COMPLAINT), as a real hard bounce or
complaint does with SES.

`<hard>`: `general` (the default; 5.1.1 user unknown), `noemail` (5.1.1 no such account).
`<soft>`: `general` (the default; 4.0.0), `mailboxfull` (4.2.2), `toolarge` (MessageTooLarge,
5.3.4), `content` (ContentRejected, 5.7.1), `attachment` (AttachmentRejected, 5.7.1).
`<feedback>`: `abuse` (the default), `auth-failure`, `fraud`, `not-spam`, `other`, `virus`.
`<code>`: `421` (4.3.2, and the connection closes), `450` (4.2.1), `451` (4.3.0), `452` (4.3.1),
`454` (SES's throttling text). `<stage>`: `rcpt` (the default) or `data`.

The APIs have no SMTP codes: there a `fail-` address is refused the way both providers refuse a
retryable request, with 429 (SES `TooManyRequestsException`, Resend `rate_limit_exceeded` with
its headers).

Attempts are counted per mailbox and address (`attempts.py`); once a message is accepted the next
one starts over, so every message to the address is refused `<n>` times. botocore's
default (legacy) mode makes 5 attempts, so `throttle-4x` succeeds inside one boto3 call and
`throttle-5x` reaches the application as an error.

An address at the domain that matches no row is refused at RCPT with `550 5.1.1 unknown mailyard
scenario 'x'; ...` (and by the APIs as invalid input), never silently delivered. Scenario
addresses are real recipients otherwise: a hard bounce or complaint adds them to the suppression
list, and a later send to them gets the suppression bounce; use a fresh label for a fresh start.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mailyard.sandbox.simulate.actions import (
    DELIVER,
    MAX_DELAY,
    Action,
    Verb,
    bounce,
    complaint,
    delay,
)
from mailyard.sandbox.simulate.addresses import split_address
from mailyard.sandbox.simulate.attempts import AttemptCounter, AttemptKey, key
from mailyard.sandbox.simulate.errors import ScenarioError
from mailyard.sandbox.simulate.faults import Stage
from mailyard.sandbox.simulate.outcomes import Outcome
from mailyard.sandbox.simulate.throttle import Limit, Throttled
from mailyard.sandbox.simulate.units import format_duration, parse_duration

SCENARIO_DOMAIN = "sim.mailyard.test"
SEE = "see 'Scenario addresses' in mailyard's README"
MAX_FAILURES = 99
MAX_WORD = 64
COMPLAINT_AGENT = "mailyard scenario"

HARD = {"general": "General", "noemail": "NoEmail"}
SOFT = {
    "general": "General",
    "mailboxfull": "MailboxFull",
    "toolarge": "MessageTooLarge",
    "content": "ContentRejected",
    "attachment": "AttachmentRejected",
}
FAIL_REPLIES = {
    421: "421 4.3.2 Service not available, closing transmission channel",
    450: "450 4.2.1 Mailbox temporarily unavailable, try again later",
    451: "451 4.3.0 Temporary local problem, try again later",
    452: "452 4.3.1 Insufficient system storage, try again later",
    454: "454 Throttling failure: Maximum sending rate exceeded",  # SES's SMTP interface (A10)
}


@dataclass(frozen=True)
class Scenario:
    """A parsed scenario: what happens once accepted, and how often it is refused first."""

    word: str  # canonical: `delay-30s-deliver`, `fail-2x-451-rcpt`
    action: Action
    failures: int = 0
    code: int = 451
    stage: Stage = Stage.RCPT

    def outcome(self) -> Outcome:
        return self.action.outcome(self.word, "scenario", user_agent=COMPLAINT_AGENT)

    def attempt_key(self, mailbox: str, recipient: str) -> AttemptKey:
        """What the engine settles (`AttemptCounter.settle`) once the message is accepted."""
        return key(mailbox, recipient, self.word)


@dataclass(frozen=True)
class Refusal:
    """A scenario's refusal over SMTP: the reply line, and whether the server then closes."""

    scenario: str
    attempt: int
    failures: int
    reply: str

    @property
    def closes(self) -> bool:
        return self.reply.startswith("421")


def scenario_for(address: str, domain: str = SCENARIO_DOMAIN) -> Scenario | None:
    """The scenario an address asks for; None off the scenario domain; ScenarioError if unknown."""
    parts = split_address(address)
    if parts.domain != domain:
        return None
    return parse_scenario(parts.word)


def parse_scenario(word: str) -> Scenario:
    """A scenario from the local part's word (before `+`)."""
    lowered = word.lower()
    try:
        if len(lowered) > MAX_WORD:
            raise ValueError(f"longer than {MAX_WORD} characters (RFC 5321's local part)")
        return _parse(lowered)
    except ValueError as exc:
        shown = ascii(lowered[:64])  # the client's text goes back into a reply: ASCII, bounded
        if isinstance(exc, _Unknown):
            raise ScenarioError(f"unknown mailyard scenario {shown}; {SEE}") from None
        raise ScenarioError(f"mailyard scenario {shown}: {exc}; {SEE}") from None


def smtp_refusal(
    scenario: Scenario, stage: Stage, *, mailbox: str, recipient: str, counter: AttemptCounter
) -> Refusal | None:
    """Count an attempt at the scenario's stage and refuse it while it is one of the first n."""
    if not scenario.failures or stage is not scenario.stage:
        return None
    attempt = counter.attempt(scenario.attempt_key(mailbox, recipient))
    if attempt > scenario.failures:
        return None
    note = f" (mailyard scenario {scenario.word}, attempt {attempt} of {scenario.failures})"
    return Refusal(scenario.word, attempt, scenario.failures, FAIL_REPLIES[scenario.code] + note)


def api_refusal(
    scenario: Scenario, *, mailbox: str, recipient: str, counter: AttemptCounter, rate: float
) -> Throttled | None:
    """The same over an API: a 429 (rate `rate`, the credential's, goes in Resend's text)."""
    if not scenario.failures:
        return None
    attempt = counter.attempt(scenario.attempt_key(mailbox, recipient))
    if attempt > scenario.failures:
        return None
    return Throttled(Limit.RATE, rate, retry_after=1, capacity=max(1, math.ceil(rate)))


class _Unknown(ValueError):
    """The first word names no scenario."""


def _parse(word: str) -> Scenario:
    head, _, rest = word.partition("-")
    if word in ("deliver", "reject"):
        return Scenario(word, DELIVER if word == "deliver" else Action(Verb.REJECT))
    if head in ("hardbounce", "softbounce"):
        action = _bounce(head, rest)
        return Scenario(_bounce_word(action), action)
    if head == "complaint":
        action = complaint(rest or "abuse")
        return Scenario(f"complaint-{action.feedback}", action)
    if head == "delay":
        spelled, _, then = rest.partition("-")
        seconds = parse_duration(spelled, maximum=MAX_DELAY)
        final = DELIVER if then in ("", "deliver") else _final(then)
        canonical = "deliver" if final is DELIVER else _bounce_word(final)
        return Scenario(f"delay-{format_duration(seconds)}-{canonical}", delay(seconds, final))
    if head == "fail":
        return _fail(rest)
    if head == "throttle":
        count = _count(rest)
        return Scenario(f"throttle-{count}x", DELIVER, failures=count, code=454)
    raise _Unknown(word)


def _final(then: str) -> Action:
    head, _, rest = then.partition("-")
    if head not in ("hardbounce", "softbounce"):
        raise ValueError(f"a delay ends in deliver, hardbounce or softbounce, not {then!r}")
    return _bounce(head, rest)


def _bounce(head: str, rest: str) -> Action:
    names = HARD if head == "hardbounce" else SOFT
    subtype = names.get(rest or "general")
    if subtype is None:
        raise ValueError(f"{head} takes {', '.join(names)}, not {rest!r}")
    return bounce("permanent" if head == "hardbounce" else "transient", subtype)


def _bounce_word(action: Action) -> str:
    head = "hardbounce" if action.bounce_type == "Permanent" else "softbounce"
    names = HARD if head == "hardbounce" else SOFT
    return f"{head}-{next(k for k, v in names.items() if v == action.subtype)}"


def _fail(rest: str) -> Scenario:
    parts = rest.split("-")
    if len(parts) not in (2, 3):
        raise ValueError("expected fail-<n>x-<code>[-rcpt|-data], e.g. fail-2x-451")
    count = _count(parts[0])
    if not (parts[1].isascii() and parts[1].isdigit()) or int(parts[1]) not in FAIL_REPLIES:
        raise ValueError(f"code {parts[1]!r} is not one of {', '.join(map(str, FAIL_REPLIES))}")
    where = parts[2] if len(parts) == 3 else "rcpt"
    if where not in ("rcpt", "data"):
        raise ValueError(f"stage {where!r} is not rcpt or data")
    code, stage = int(parts[1]), Stage(where)
    return Scenario(f"fail-{count}x-{code}-{where}", DELIVER, count, code, stage)


def _count(text: str) -> int:
    digits = text.removesuffix("x")
    if digits == text or not digits.isdigit() or not digits.isascii():
        raise ValueError(f"count {text!r} must be a number followed by x, e.g. 2x")
    if not 1 <= int(digits) <= MAX_FAILURES:
        raise ValueError(f"count {text!r} must be from 1x to {MAX_FAILURES}x")
    return int(digits)
