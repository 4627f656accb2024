"""The providers' test addresses: SES's mailbox simulator and Resend's, step for step."""

from __future__ import annotations

import pytest

from mailyard.sandbox.simulate.actions import ACCOUNT_SUPPRESSED, GLOBALLY_SUPPRESSED
from mailyard.sandbox.simulate.addresses import (
    is_ses_simulator,
    provider_address,
    split_address,
)
from mailyard.sandbox.simulate.outcomes import (
    Bounce,
    Complaint,
    Delivery,
    Kind,
    Outcome,
    Step,
)

SEND = Step(0.0, Kind.SEND)
DELIVERED = Step(0.0, Kind.DELIVERY, Delivery())
USER_UNKNOWN = Bounce(
    type="Permanent",
    subtype="General",
    status="5.1.1",
    diagnostic="smtp; 550 5.1.1 user unknown",
    action="failed",
    reporting_mta="dsn; a8-96.smtp-out.amazonses.com",
)

SES = {
    "success": (SEND, DELIVERED),
    "bounce": (SEND, Step(0.0, Kind.BOUNCE, USER_UNKNOWN)),
    "ooto": (
        SEND,
        DELIVERED,
        Step(
            0.0,
            Kind.BOUNCE,
            Bounce(
                type="Transient",
                subtype="General",
                status=None,
                diagnostic=None,
                action=None,
                reporting_mta=None,
                message="The recipient's mail server answered with an automatic reply.",
            ),
        ),
    ),
    "complaint": (
        SEND,
        DELIVERED,
        Step(
            0.0,
            Kind.COMPLAINT,
            Complaint(
                feedback_type="abuse", subtype=None, user_agent="Amazon SES Mailbox Simulator"
            ),
        ),
    ),
    "suppressionlist": (
        SEND,
        Step(
            0.0,
            Kind.BOUNCE,
            Bounce(
                type="Permanent",
                subtype="Suppressed",
                status="5.1.1",
                diagnostic=GLOBALLY_SUPPRESSED,
                action="failed",
                reporting_mta="dns; amazonses.com",
                message="The recipient's email address is on the suppression list because it"
                " has a recent history of producing hard bounces.",
            ),
        ),
    ),
}

RESEND = {
    "delivered": (SEND, DELIVERED),
    "bounced": (SEND, Step(0.0, Kind.BOUNCE, USER_UNKNOWN)),
    "complained": (
        SEND,
        DELIVERED,
        Step(0.0, Kind.COMPLAINT, Complaint(feedback_type="abuse", user_agent=None)),
    ),
    "suppressed": (
        SEND,
        Step(
            0.0,
            Kind.SUPPRESSED,
            Bounce(
                type="Permanent",
                subtype="OnAccountSuppressionList",
                status="5.1.1",
                diagnostic=ACCOUNT_SUPPRESSED,
                action="failed",
                reporting_mta="dns; amazonses.com",
                message="Resend has suppressed sending to this address because it is on the"
                " account-level suppression list.",
            ),
        ),
    ),
}


@pytest.mark.parametrize("label", [None, "label1", "Mixed.Case+more", ""])
@pytest.mark.parametrize("word", sorted(SES))
def test_every_ses_simulator_address_gives_ses_exact_plan(word: str, label: str | None) -> None:
    address = (
        f"{word}@simulator.amazonses.com"
        if label is None
        else f"{word}+{label}@simulator.amazonses.com"
    )
    found = provider_address(address)
    assert found is not None
    assert (found.provider, found.word, found.label) == ("ses", word, label)
    assert found.outcome == Outcome(word, SES[word], "ses-simulator", None, word == "ooto")


@pytest.mark.parametrize("label", [None, "run-7"])
@pytest.mark.parametrize("word", sorted(RESEND))
def test_every_resend_test_address_gives_resend_sequence(word: str, label: str | None) -> None:
    address = f"{word}@resend.dev" if label is None else f"{word}+{label}@resend.dev"
    found = provider_address(address)
    assert found is not None
    assert (found.provider, found.label) == ("resend", label)
    assert found.outcome == Outcome(word, RESEND[word], "resend-test-address")


@pytest.mark.parametrize(
    ("word", "last"),
    [
        ("delivered", Kind.DELIVERY),
        ("bounced", Kind.BOUNCE),
        ("complained", Kind.COMPLAINT),
        ("suppressed", Kind.SUPPRESSED),
    ],
)
def test_resend_last_event(word: str, last: Kind) -> None:
    found = provider_address(f"{word}@resend.dev")
    assert found is not None and found.outcome.final is last


def test_no_test_address_ever_joins_the_suppression_list() -> None:
    for address in [f"{w}@simulator.amazonses.com" for w in SES] + [
        f"{w}@resend.dev" for w in RESEND
    ]:
        found = provider_address(address)
        assert found is not None and found.outcome.suppress is None


def test_word_and_domain_are_case_insensitive_label_is_verbatim() -> None:
    found = provider_address("BOUNCE+KeepMe@Simulator.AmazonSES.com")
    assert found is not None
    assert found.outcome.name == "bounce" and found.label == "KeepMe"


def test_unknown_simulator_local_part_bounces_permanent_general() -> None:
    found = provider_address("hi+x@simulator.amazonses.com")
    assert found is not None
    assert found.outcome.name == "unknown-simulator-address"
    assert found.outcome.steps == (SEND, Step(0.0, Kind.BOUNCE, USER_UNKNOWN))


def test_unknown_resend_dev_local_part_is_not_a_test_address() -> None:
    assert provider_address("onboarding@resend.dev") is None
    assert provider_address("bounce@example.com") is None
    assert provider_address("bounce@sub.simulator.amazonses.com") is None


def test_split_address_keeps_label_verbatim_and_finds_the_last_at() -> None:
    parts = split_address('"odd@local"+A+b@Example.COM')
    assert (parts.word, parts.label, parts.domain) == ('"odd@local"', "A+b", "example.com")
    assert split_address("plain@x.test").label is None


def test_ses_simulator_recipients_are_recognised_for_the_quota() -> None:
    assert is_ses_simulator("success+1@SIMULATOR.amazonses.com")
    assert not is_ses_simulator("delivered@resend.dev")
