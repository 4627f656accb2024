"""The order of the simulator's sources: provider addresses, scenarios, suppression, rules."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mailyard.sandbox.simulate.actions import ACCOUNT_SUPPRESSED
from mailyard.sandbox.simulate.decide import decide, suppressed
from mailyard.sandbox.simulate.errors import ScenarioError
from mailyard.sandbox.simulate.outcomes import Bounce, Complaint, Kind, Step
from mailyard.sandbox.simulate.rules import RuleSet

EVERYTHING_COMPLAINS = RuleSet.parse("*: complaint", name="global")


def on_list(reason: str) -> Callable[[str], str | None]:
    return lambda address: reason


def test_provider_addresses_ignore_rules_and_the_suppression_list() -> None:
    outcome = decide(
        "bounce+x@simulator.amazonses.com",
        rule_sets=[EVERYTHING_COMPLAINS],
        is_suppressed=on_list("BOUNCE"),
    )
    assert (outcome.name, outcome.decided_by) == ("bounce", "ses-simulator")
    resend = decide(
        "delivered@resend.dev", rule_sets=[EVERYTHING_COMPLAINS], is_suppressed=on_list("BOUNCE")
    )
    assert resend.decided_by == "resend-test-address"


def test_suppression_comes_before_scenarios_and_rules() -> None:
    outcome = decide(
        "complaint@sim.mailyard.test",
        rule_sets=[EVERYTHING_COMPLAINS],
        is_suppressed=on_list("BOUNCE"),
    )
    assert outcome == suppressed("BOUNCE")
    assert outcome.decided_by == "suppression-list:BOUNCE"
    assert outcome.steps == (
        Step(0.0, Kind.SEND),
        Step(
            0.0,
            Kind.SUPPRESSED,
            Bounce(
                "Permanent",
                "OnAccountSuppressionList",
                "5.1.1",
                ACCOUNT_SUPPRESSED,
                "failed",
                "dns; amazonses.com",
                "Resend has suppressed sending to this address because it is on the account-level suppression list.",
            ),
        ),
    )
    assert outcome.suppress is None


def test_a_complaint_entry_answers_with_an_on_list_complaint() -> None:
    outcome = decide("a@example.com", is_suppressed=on_list("COMPLAINT"))
    assert outcome.steps[-1] == Step(
        0.0,
        Kind.SUPPRESSED,
        Complaint(feedback_type=None, subtype="OnAccountSuppressionList", user_agent=None),
    )
    with pytest.raises(ValueError, match="not BOUNCE or COMPLAINT"):
        suppressed("OTHER")


def test_unknown_scenarios_are_errors_even_when_suppressed() -> None:
    with pytest.raises(ScenarioError):
        decide("nope@sim.mailyard.test", is_suppressed=on_list("BOUNCE"))


def test_scenarios_beat_rules() -> None:
    outcome = decide("hardbounce@sim.mailyard.test", rule_sets=[EVERYTHING_COMPLAINS])
    assert (outcome.name, outcome.decided_by, outcome.suppress) == (
        "hardbounce-general",
        "scenario",
        "BOUNCE",
    )


def test_mailbox_rules_before_global_rules_then_default() -> None:
    mailbox = RuleSet.parse("*@example.com: bounce transient/mailboxfull", name="mailbox")
    assert (
        decide("a@example.com", rule_sets=[mailbox, EVERYTHING_COMPLAINS]).decided_by
        == "rule:mailbox[0]"
    )
    assert (
        decide("a@other.test", rule_sets=[mailbox, EVERYTHING_COMPLAINS]).decided_by
        == "rule:global[0]"
    )
    default = decide("a@other.test", rule_sets=[mailbox], is_suppressed=lambda address: None)
    assert (default.name, default.decided_by, default.final) == (
        "deliver",
        "default",
        Kind.DELIVERY,
    )


def test_the_ordinal_reaches_per_message_rules() -> None:
    rules = RuleSet.parse("*: complaint 50% per=message")
    fates = {decide("a@b.test", rule_sets=[rules], ordinal=n).final for n in range(40)}
    assert fates == {Kind.COMPLAINT, Kind.DELIVERY}


def test_another_scenario_domain_can_be_chosen() -> None:
    assert (
        decide("reject@sim.example.test", scenario_domain="sim.example.test").final is Kind.REJECT
    )
    assert (
        decide("reject@sim.mailyard.test", scenario_domain="sim.example.test").final
        is Kind.DELIVERY
    )
