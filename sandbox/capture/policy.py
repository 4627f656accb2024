"""What the SMTP sink answers beyond the protocol, decided per command: scenario addresses that
refuse N times, fault plans (our own and Mailpit's chaos triggers), send-rate and quota limits.

Each hook returns `None` (answer as usual) or a `Verdict`: the reply to send instead, after an
optional latency, and whether the connection then closes. Every decision is the simulator's
(`sandbox.simulate`); this module only puts them at the right SMTP stage.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from mailyard.sandbox.simulate.attempts import AttemptCounter
from mailyard.sandbox.simulate.errors import ScenarioError
from mailyard.sandbox.simulate.faults import Fault, FaultContext, FaultPlan, Stage
from mailyard.sandbox.simulate.scenarios import Scenario, scenario_for, smtp_refusal
from mailyard.sandbox.simulate.throttle import Limits, Throttle, Throttled


@dataclass(frozen=True)
class Verdict:
    """Answer `reply` (None: the usual answer) after `latency` seconds; close if `closes`."""

    reply: str | None = None
    latency: float = 0.0
    closes: bool = False

    @classmethod
    def of(cls, fault: Fault) -> Verdict:
        return cls(fault.reply, fault.latency, fault.closes)


@dataclass
class Faults:
    """The fault plans in force: global (settings, Mailpit's chaos API) and per mailbox."""

    global_plan: FaultPlan = field(default_factory=FaultPlan)
    by_mailbox: dict[str, FaultPlan] = field(default_factory=dict)
    chaos_enabled: bool = False

    def plan_for(self, mailbox: str | None) -> FaultPlan:
        own = self.by_mailbox.get(mailbox or "")
        return own.then(self.global_plan) if own is not None else self.global_plan


class SMTPPolicy:
    """The sink's hooks, one per stage of a session."""

    def __init__(
        self,
        *,
        attempts: AttemptCounter,
        throttle: Throttle,
        faults: Faults | None = None,
        limits: Callable[[str], Limits | None] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.attempts = attempts
        self.throttle = throttle
        self.faults = faults or Faults()
        self._limits = limits or (lambda mailbox: None)
        self._rng = rng or random.Random()

    def _fault(self, stage: Stage, mailbox: str | None, context: FaultContext) -> Verdict | None:
        fault = self.faults.plan_for(mailbox).decide(stage, context, self._rng)
        return Verdict.of(fault) if fault is not None else None

    def on_connect(self) -> Verdict | None:
        return self._fault(Stage.CONNECT, None, FaultContext())

    def on_auth(self, mailbox: str | None) -> Verdict | None:
        return self._fault(Stage.AUTH, mailbox, FaultContext())

    def on_mail(self, mailbox: str, sender: str) -> Verdict | None:
        return self._fault(Stage.MAIL, mailbox, FaultContext(sender=sender))

    def on_rcpt(self, mailbox: str, sender: str, recipient: str) -> Verdict | None:
        try:
            scenario = scenario_for(recipient)
        except ScenarioError as exc:
            return Verdict(exc.smtp_reply)
        if scenario is not None:
            refusal = smtp_refusal(
                scenario, Stage.RCPT, mailbox=mailbox, recipient=recipient, counter=self.attempts
            )
            if refusal is not None:
                return Verdict(refusal.reply, closes=refusal.closes)
        return self._fault(Stage.RCPT, mailbox, FaultContext(sender, (recipient,)))

    def on_data(self, mailbox: str, sender: str, recipients: tuple[str, ...]) -> Verdict | None:
        for recipient in recipients:
            scenario = _scenario(recipient)
            if scenario is None:
                continue
            refusal = smtp_refusal(
                scenario, Stage.DATA, mailbox=mailbox, recipient=recipient, counter=self.attempts
            )
            if refusal is not None:
                return Verdict(refusal.reply, closes=refusal.closes)
        fault = self._fault(Stage.DATA, mailbox, FaultContext(sender, recipients))
        if fault is not None and fault.reply is not None:
            return fault
        limits = self._limits(mailbox)
        if limits is not None:
            answer = self.throttle.acquire(mailbox, limits, rate_cost=len(recipients))
            if isinstance(answer, Throttled):
                return Verdict(answer.smtp_reply, closes=answer.smtp_closes)
        return fault

    def accepted(self, mailbox: str, recipients: tuple[str, ...]) -> None:
        """The message was stored: the scenario addresses in it have had their failures."""
        for recipient in recipients:
            scenario = _scenario(recipient)
            if scenario is not None and scenario.failures:
                self.attempts.settle(scenario.attempt_key(mailbox, recipient))


def _scenario(recipient: str) -> Scenario | None:
    try:
        return scenario_for(recipient)
    except ScenarioError:
        return None
