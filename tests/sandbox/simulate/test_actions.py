"""The outcome phrase grammar: canonical texts round-trip, suppression reasons follow SES."""

from __future__ import annotations

import pytest

from mailyard.sandbox.simulate.actions import BOUNCES, Verb, parse_action


@pytest.mark.parametrize(
    ("phrase", "canonical"),
    [
        ("deliver", "deliver"),
        ("Reject", "reject"),
        ("bounce", "bounce permanent/general"),
        ("bounce transient", "bounce transient/general"),
        ("bounce undetermined", "bounce undetermined/undetermined"),
        ("bounce Permanent/OnAccountSuppressionList", "bounce permanent/onaccountsuppressionlist"),
        ("complaint", "complaint abuse"),
        ("complaint NOT-SPAM", "complaint not-spam"),
        ("delay 1h", "delay 1h then deliver"),
        ("delay 250ms then bounce", "delay 250ms then bounce permanent/general"),
        (
            "delay 0.5m then bounce transient/messagetoolarge",
            "delay 30s then bounce transient/messagetoolarge",
        ),
    ],
)
def test_phrases_have_one_canonical_text(phrase: str, canonical: str) -> None:
    action = parse_action(phrase)
    assert action.text == canonical
    assert parse_action(canonical) == action


@pytest.mark.parametrize(("bounce_type", "subtype"), sorted(BOUNCES))
def test_every_ses_bounce_pair_is_reachable_with_its_own_dsn(
    bounce_type: str, subtype: str
) -> None:
    action = parse_action(f"bounce {bounce_type}/{subtype}")
    steps = action.outcome("x", "test", user_agent=None).steps
    assert steps[-1].detail == BOUNCES[bounce_type, subtype]
    assert steps[-1].detail.type == bounce_type and steps[-1].detail.subtype == subtype  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("phrase", "reason"),
    [
        ("bounce permanent/general", "BOUNCE"),
        ("bounce permanent/noemail", "BOUNCE"),
        ("bounce permanent/suppressed", None),
        ("bounce permanent/onaccountsuppressionlist", None),
        ("bounce transient/mailboxfull", None),
        ("bounce undetermined", None),
        ("complaint virus", "COMPLAINT"),
        ("delay 1m then bounce", "BOUNCE"),
        ("delay 1m", None),
        ("deliver", None),
        ("reject", None),
    ],
)
def test_suppression_reason_follows_ses(phrase: str, reason: str | None) -> None:
    assert parse_action(phrase).suppress == reason


def test_delay_outcome_puts_the_final_event_later() -> None:
    outcome = parse_action("delay 2h").outcome("slow", "test", user_agent=None)
    assert [(s.after, s.kind.value) for s in outcome.steps] == [
        (0.0, "send"),
        (0.0, "delivery_delay"),
        (7200.0, "delivery"),
    ]
    assert parse_action("delay 2h").verb is Verb.DELAY
