"""The simulator's errors: one branch of `sandbox`'s tree, all of them a caller's bad input.

InvalidInputError (sandbox.errors)
└── SimulateError          base of this package's errors; `.field` names the value at fault
    ├── ScenarioError      an address at the scenario domain that is not a scenario;
    │                      `.smtp_reply` is the `550 5.1.1` line the SMTP sink sends back
    ├── RuleError          a delivery rule that cannot be parsed (`rules[2].outcome: ...`)
    ├── FaultPlanError     an SMTP fault plan that cannot be parsed (`rules[0].code: ...`)
    └── ChaosError         (in `chaos.py`) a chaos request Mailpit would refuse; its message
                           is Mailpit's text, sent as a `text/plain` 400, not our JSON error
"""

from __future__ import annotations

from mailyard.sandbox.errors import InvalidInputError


class SimulateError(InvalidInputError):
    """A simulator setting or address that cannot be used; `field` names which one."""


class ScenarioError(SimulateError):
    """An address at the scenario domain whose local part is not a scenario we know."""

    def __init__(self, message: str, field: str = "recipient") -> None:
        super().__init__(message, field)

    @property
    def smtp_reply(self) -> str:
        """What the SMTP sink answers to `RCPT TO` for this address (RFC 3463: bad mailbox)."""
        return f"550 5.1.1 {self}"


class RuleError(SimulateError):
    """A delivery rule (config file, CLI/env, API) that cannot be parsed."""


class FaultPlanError(SimulateError):
    """An SMTP fault plan that cannot be parsed."""
