"""Which plan a recipient gets: the one place that puts the simulator's sources in order.

1. A provider test address (`addresses.py`) behaves as its provider documents, always: no rule
   or suppression entry changes it, because a test that sends to `bounce@simulator.amazonses.com`
   is asking SES's question and must get SES's answer.
2. A scenario address (`scenarios.py`) is parsed next, so an unknown scenario is an error even
   for a suppressed address (the SMTP sink has already refused it at RCPT).
3. The suppression list: a suppressed address gets the provider's suppression answer, whatever
   the rules or the scenario say. The list stands in front of the recipient's server (SES does
   not even try to deliver), and rules and scenarios describe that server.
4. The scenario's plan.
5. The rule sets in the order given: the mailbox's, then the global ones (config file, CLI/env).
6. Deliver.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from mailyard.sandbox.simulate.actions import BOUNCES, DELIVER, SEND
from mailyard.sandbox.simulate.addresses import provider_address
from mailyard.sandbox.simulate.outcomes import Bounce, Complaint, Kind, Outcome, Step
from mailyard.sandbox.simulate.rules import RuleSet
from mailyard.sandbox.simulate.scenarios import SCENARIO_DOMAIN, scenario_for

# The engine's lookup: the reason an address is on the mailbox's suppression list, or None.
IsSuppressed = Callable[[str], str | None]

DEFAULT = DELIVER.outcome("deliver", "default", user_agent=None)
ON_LIST_COMPLAINT = Complaint(
    feedback_type=None, subtype="OnAccountSuppressionList", user_agent=None
)


def decide(
    recipient: str,
    *,
    rule_sets: Sequence[RuleSet] = (),
    is_suppressed: IsSuppressed | None = None,
    ordinal: int = 0,
    scenario_domain: str = SCENARIO_DOMAIN,
) -> Outcome:
    """The plan for one recipient; ScenarioError for an unknown scenario address."""
    provided = provider_address(recipient)
    if provided is not None:
        return provided.outcome
    scenario = scenario_for(recipient, scenario_domain)
    reason = is_suppressed(recipient) if is_suppressed is not None else None
    if reason is not None:
        return suppressed(reason)
    if scenario is not None:
        return scenario.outcome()
    for rule_set in rule_sets:
        outcome = rule_set.decide(recipient, ordinal=ordinal)
        if outcome is not None:
            return outcome
    return DEFAULT


def suppressed(reason: str) -> Outcome:
    """A send to an address on the account's list (providers.md A8): SES answers with a Bounce
    `Permanent/OnAccountSuppressionList`, or for a complaint entry a Complaint with that subtype;
    Resend with `email.suppressed` (reason previous_bounce or previous_complaint). Both read the
    same step: `Kind.SUPPRESSED`, its detail saying which."""
    if reason == "BOUNCE":
        detail: Bounce | Complaint = BOUNCES["Permanent", "OnAccountSuppressionList"]
    elif reason == "COMPLAINT":
        detail = ON_LIST_COMPLAINT
    else:
        raise ValueError(f"suppression reason {reason!r} is not BOUNCE or COMPLAINT")
    return Outcome(
        "suppressed", (SEND, Step(0.0, Kind.SUPPRESSED, detail)), f"suppression-list:{reason}"
    )
