"""The providers' own test addresses, behaving exactly as the providers document them.

SES mailbox simulator, `<word>[+label]@simulator.amazonses.com` (providers.md Part B):

| word | events | detail |
|---|---|---|
| `success` | Send → Delivery | `250 2.6.0 Message received` |
| `bounce` | Send → Bounce | Permanent/General, `failed`, `5.1.1`, `smtp; 550 5.1.1 user unknown` |
| `ooto` | Send → Delivery → Bounce | Transient/General without DSN fields; `auto_reply` |
| `complaint` | Send → Delivery → Complaint | `abuse`, `Amazon SES Mailbox Simulator` |
| `suppressionlist` | Send → Bounce | Permanent/Suppressed, `5.1.1`, `dns; amazonses.com` |
| any other | Send → Bounce | as `bounce` (SES was seen bouncing these; General, not Suppressed) |

`bounce`'s reporting MTA is `dsn; a8-96.smtp-out.amazonses.com`, `suppressionlist`'s diagnostic
SES's own text (A8); `ooto` also sends an auto-reply to the Return-Path (`Outcome.auto_reply`).

Resend test addresses, `<word>[+label]@resend.dev` (providers.md D6; `last_event` is the last):

| word | events | detail |
|---|---|---|
| `delivered` | sent → delivered | |
| `bounced` | sent → bounced | Permanent/General, `smtp; 550 5.1.1 user unknown` |
| `complained` | sent → delivered → complained | |
| `suppressed` | sent → suppressed | OnAccountSuppressionList (previous_bounce) |
| any other | not a test address: the rules decide | |

The part after the first `+` is a label: it never changes the behaviour and is kept verbatim (the
engine uses the recipient as given in every payload). The word is matched case-insensitively.

None of these addresses ever joins the suppression list (SES: "mailbox-simulator addresses are
never added"; Resend's test addresses are treated the same way), and no user rule or suppression
entry overrides them: a test that sends to `bounce@simulator.amazonses.com` gets SES's bounce.
"""

from __future__ import annotations

from dataclasses import dataclass

from mailyard.sandbox.simulate.actions import BOUNCES, SEND
from mailyard.sandbox.simulate.outcomes import Bounce, Complaint, Delivery, Kind, Outcome, Step

SES_SIMULATOR_DOMAIN = "simulator.amazonses.com"
RESEND_TEST_DOMAIN = "resend.dev"

OOTO = Bounce(
    type="Transient",
    subtype="General",
    status=None,
    diagnostic=None,
    action=None,
    reporting_mta=None,
    message="The recipient's mail server answered with an automatic reply.",
)
_DELIVERED = Step(0.0, Kind.DELIVERY, Delivery())
_HARD = Step(0.0, Kind.BOUNCE, BOUNCES["Permanent", "General"])

SES_SIMULATOR: dict[str, tuple[Step, ...]] = {
    "success": (SEND, _DELIVERED),
    "bounce": (SEND, _HARD),
    "ooto": (SEND, _DELIVERED, Step(0.0, Kind.BOUNCE, OOTO)),
    "complaint": (SEND, _DELIVERED, Step(0.0, Kind.COMPLAINT, Complaint())),
    "suppressionlist": (SEND, Step(0.0, Kind.BOUNCE, BOUNCES["Permanent", "Suppressed"])),
}
RESEND_TEST: dict[str, tuple[Step, ...]] = {
    "delivered": (SEND, _DELIVERED),
    "bounced": (SEND, _HARD),
    "complained": (SEND, _DELIVERED, Step(0.0, Kind.COMPLAINT, Complaint(user_agent=None))),
    "suppressed": (
        SEND,
        Step(0.0, Kind.SUPPRESSED, BOUNCES["Permanent", "OnAccountSuppressionList"]),
    ),
}


@dataclass(frozen=True)
class Address:
    """A recipient taken apart: `word+label@domain`, the label verbatim, the domain lower-cased."""

    word: str
    label: str | None
    domain: str


def split_address(address: str) -> Address:
    """Split at the last `@` (a quoted local part may hold one) and the local part's first `+`."""
    local, _, domain = address.rpartition("@")
    word, plus, label = local.partition("+")
    return Address(word, label if plus else None, domain.lower())


@dataclass(frozen=True)
class ProviderAddress:
    """A provider test address: whose (`ses` or `resend`), which word, its label, its plan."""

    provider: str
    word: str
    label: str | None
    outcome: Outcome


def provider_address(address: str) -> ProviderAddress | None:
    """The plan for an SES simulator or Resend test address; None for any other address."""
    parts = split_address(address)
    word = parts.word.lower()
    if parts.domain == SES_SIMULATOR_DOMAIN:
        steps = SES_SIMULATOR.get(word)
        name = word if steps is not None else "unknown-simulator-address"
        outcome = Outcome(name, steps or (SEND, _HARD), "ses-simulator", auto_reply=word == "ooto")
        return ProviderAddress("ses", word, parts.label, outcome)
    if parts.domain == RESEND_TEST_DOMAIN and word in RESEND_TEST:
        outcome = Outcome(word, RESEND_TEST[word], "resend-test-address")
        return ProviderAddress("resend", word, parts.label, outcome)
    return None


def is_ses_simulator(address: str) -> bool:
    """SES's simulator mail counts toward the send rate but not the daily quota (Part B)."""
    return split_address(address).domain == SES_SIMULATOR_DOMAIN
