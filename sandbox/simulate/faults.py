"""SMTP-level faults: a reply code, added latency or a dropped connection at one stage of a
session, at a probability, planned per mailbox (and globally) and decided by an injected RNG.

A `FaultPlan` is a list of `FaultRule`s. At each stage the SMTP sink asks `plan.decide(stage,
context, rng)`; every rule for that stage draws in order, the latencies of the rules that fire
add up (capped at `MAX_LATENCY`), and the first that fires with a code or a drop decides the
answer. The sink waits `fault.latency` on the clock, then sends `fault.reply` (closing after a
`421`, RFC 5321 3.8) or, for `fault.drop`, closes without a word. A rule with `match` applies to
the sender at MAIL, the recipient offered at RCPT, and any accepted recipient at DATA.

JSON (the API, a config file):

    {"rules": [{"stage": "rcpt", "code": 451, "percent": 5},
               {"stage": "data", "latency": "2s"},
               {"stage": "connect", "drop": true, "percent": 1},
               {"stage": "mail", "code": 550, "text": "5.7.1 Blocked", "match": "*@spam.test"}]}

One line (CLI/env), rules separated by `;`: `rcpt 451 5%; data latency=2s; connect drop 1%;
mail 550 match=*@spam.test`. Mailpit's chaos triggers map onto rules whose `source` is
`mailpit-chaos` (see `chaos.py`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from mailyard.sandbox.simulate.errors import FaultPlanError
from mailyard.sandbox.simulate.patterns import AddressPattern, parse_pattern
from mailyard.sandbox.simulate.units import check_percent, parse_duration, parse_percent

MAX_RULES = 100
MAX_LATENCY = 600.0  # longer than any client's SMTP timeout: more would only test our patience
MAX_TEXT = 200
CHAOS = "mailpit-chaos"
T = TypeVar("T")
_FIELDS = ("stage", "code", "text", "percent", "latency", "drop", "match", "source")


class Stage(StrEnum):
    """The points of an SMTP session where a fault can strike, in RFC 5321's words."""

    CONNECT = "connect"
    AUTH = "auth"
    MAIL = "mail"
    RCPT = "rcpt"
    DATA = "data"


@dataclass(frozen=True)
class FaultContext:
    """What the session knows: the sender after MAIL, the recipient(s) at RCPT and DATA."""

    sender: str | None = None
    recipients: tuple[str, ...] = ()


@dataclass(frozen=True)
class Fault:
    """What to do instead of the normal answer. `reply` None: answer normally after `latency`."""

    stage: Stage
    reply: str | None = None
    latency: float = 0.0
    drop: bool = False

    @property
    def closes(self) -> bool:
        """Close the connection after the reply (or instead of one)."""
        return self.drop or (self.reply or "").startswith("421")


@dataclass(frozen=True)
class FaultRule:
    stage: Stage
    code: int | None = None
    text: str | None = None  # default: a line naming the stage (see `reply`)
    percent: float = 100.0
    latency: float = 0.0
    drop: bool = False
    match: AddressPattern | None = None
    source: str | None = None  # "mailpit-chaos" for the rules Mailpit's chaos API owns

    @property
    def reply(self) -> str | None:
        if self.code is None:
            return None
        if self.text is not None:
            return f"{self.code} {self.text}"
        if self.stage is Stage.CONNECT:  # no enhanced codes before EHLO (RFC 2034)
            return f"{self.code} mailyard fault injected at connect"
        return f"{self.code} {self.code // 100}.0.0 mailyard fault injected at {self.stage.value}"

    def applies(self, stage: Stage, context: FaultContext) -> bool:
        if stage is not self.stage:
            return False
        if self.match is None:
            return True
        if stage is Stage.MAIL:
            return context.sender is not None and self.match.matches(context.sender)
        return any(self.match.matches(r) for r in context.recipients)

    def as_json(self) -> dict[str, Any]:
        return {
            "stage": self.stage.value,
            "code": self.code,
            "text": self.text,
            "percent": self.percent,
            "latency": self.latency,
            "drop": self.drop,
            "match": self.match.text if self.match else None,
            "source": self.source,
        }


@dataclass(frozen=True)
class FaultPlan:
    rules: tuple[FaultRule, ...] = field(default=())

    def decide(self, stage: Stage, context: FaultContext, rng: random.Random) -> Fault | None:
        """The fault for this stage, or None to answer normally and at once."""
        latency, chosen = 0.0, None
        for rule in self.rules:
            if not rule.applies(stage, context) or not fires(rule.percent, rng):
                continue
            latency += rule.latency
            if chosen is None and (rule.code is not None or rule.drop):
                chosen = rule
        if chosen is None and not latency:
            return None
        latency = min(latency, MAX_LATENCY)
        if chosen is None:
            return Fault(stage, None, latency)
        return Fault(stage, None if chosen.drop else chosen.reply, latency, chosen.drop)

    def then(self, other: FaultPlan) -> FaultPlan:
        """This plan's rules first (a mailbox's), then `other`'s (the global plan)."""
        return FaultPlan(self.rules + other.rules)

    def as_json(self) -> dict[str, Any]:
        return {"rules": [rule.as_json() for rule in self.rules]}

    @classmethod
    def from_json(cls, data: object) -> FaultPlan:
        if not isinstance(data, Mapping) or set(data) - {"rules"}:
            raise FaultPlanError('a fault plan is an object {"rules": [...]}', "rules")
        rules = data.get("rules", [])
        if not isinstance(rules, Sequence) or isinstance(rules, str):
            raise FaultPlanError("rules: must be a list", "rules")
        if len(rules) > MAX_RULES:
            raise FaultPlanError(f"rules: at most {MAX_RULES}", "rules")
        return cls(tuple(_rule(item, f"rules[{i}]") for i, item in enumerate(rules)))

    @classmethod
    def parse(cls, text: str) -> FaultPlan:
        """One line: `<stage> [<code>] [drop] [latency=<duration>] [<n>%] [match=<pattern>]`."""
        items = [item.strip() for item in text.split(";") if item.strip()]
        if len(items) > MAX_RULES:
            raise FaultPlanError(f"rules: at most {MAX_RULES}", "rules")
        return cls(tuple(_line(item, f"rules[{i}]") for i, item in enumerate(items)))


def fires(percent: float, rng: random.Random) -> bool:
    """Draw only when it is a chance, so 0 % and 100 % rules leave the RNG's stream alone."""
    if percent <= 0:
        return False
    return percent >= 100 or rng.random() * 100 < percent


def _line(item: str, where: str) -> FaultRule:
    words = item.split()
    fields: dict[str, Any] = {"stage": words[0].lower()}
    for word in words[1:]:
        name, eq, value = word.partition("=")
        if eq and name.lower() in ("latency", "match"):
            fields[name.lower()] = value
        elif word.lower() == "drop":
            fields["drop"] = True
        elif word.endswith("%"):
            fields["percent"] = _check(where, "percent", parse_percent, word)
        elif word.isdigit() and len(word) == 3:
            fields["code"] = int(word)
        else:
            raise FaultPlanError(
                f"{where}: unexpected {word!r} (expected a code, drop, latency=, n% or match=)",
                where,
            )
    return _rule(fields, where)


def _rule(item: object, where: str) -> FaultRule:
    if not isinstance(item, Mapping):
        raise FaultPlanError(f"{where}: must be an object", where)
    unknown = sorted(set(item) - set(_FIELDS))
    if unknown:
        raise FaultPlanError(
            f"{where}: unknown field {unknown[0]!r} (fields: {', '.join(_FIELDS)})", where
        )
    raw = {k: v for k, v in item.items() if v is not None}
    stage = _check(where, "stage", Stage, raw.get("stage", ""))
    code = raw.get("code")
    if code is not None and (type(code) is not int or not 400 <= code <= 599):
        raise FaultPlanError(f"{where}.code: must be a number from 400 to 599", f"{where}.code")
    drop = raw.get("drop", False)
    if not isinstance(drop, bool):
        raise FaultPlanError(f"{where}.drop: must be true or false", f"{where}.drop")
    latency = _check(where, "latency", _latency, raw.get("latency", 0))
    percent = _check(where, "percent", check_percent, raw.get("percent", 100))
    text = _check(where, "text", _text, raw.get("text"))
    pattern = raw.get("match")
    match = None if pattern is None else _check(where, "match", parse_pattern, pattern)
    source = raw.get("source")
    if source not in (None, CHAOS):
        raise FaultPlanError(f"{where}.source: only {CHAOS!r} is known", f"{where}.source")
    if code is not None and drop:
        raise FaultPlanError(f"{where}: a rule replies (code) or drops, not both", where)
    if code is None and not drop and not latency:
        raise FaultPlanError(f"{where}: a rule needs a code, drop or latency", where)
    if text is not None and code is None:
        raise FaultPlanError(f"{where}.text: a text needs a code", f"{where}.text")
    if match is not None and stage not in (Stage.MAIL, Stage.RCPT, Stage.DATA):
        raise FaultPlanError(
            f"{where}.match: applies at mail, rcpt and data only", f"{where}.match"
        )
    return FaultRule(stage, code, text, percent, latency, drop, match, source)


def _check(where: str, name: str, parse: Callable[[Any], T], value: object) -> T:
    """Run a field's parser; its ValueError becomes a FaultPlanError naming the field."""
    try:
        return parse(value)
    except (ValueError, TypeError) as exc:
        reason = str(exc)
        if parse is Stage:  # the enum's own message names the class, not the choices
            reason = f"{value!r} is not one of {', '.join(s.value for s in Stage)}"
        raise FaultPlanError(f"{where}.{name}: {reason}", f"{where}.{name}") from None


def _latency(value: object) -> float:
    if isinstance(value, str):
        return parse_duration(value, maximum=MAX_LATENCY)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be seconds or a duration such as '2s'")
    if not 0 <= value <= MAX_LATENCY:
        raise ValueError(f"must be from 0 to {MAX_LATENCY:g} seconds")
    return float(value)


def _text(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ValueError("must be a non-empty string")
    # A reply is one line of ASCII: a CR or LF here would let a setting forge more replies.
    if len(value) > MAX_TEXT or not all(" " <= c <= "~" for c in value):
        raise ValueError(f"must be printable ASCII on one line, at most {MAX_TEXT} characters")
    return value


SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "rules": {
            "type": "array",
            "maxItems": MAX_RULES,
            "description": "Drawn in order at each stage; latencies add, the first reply wins.",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["stage"],
                "properties": {
                    "stage": {"type": "string", "enum": [s.value for s in Stage]},
                    "code": {"type": ["integer", "null"], "minimum": 400, "maximum": 599},
                    "text": {
                        "type": ["string", "null"],
                        "maxLength": MAX_TEXT,
                        "description": "The reply after the code, e.g. `4.7.0 Try later`.",
                    },
                    "percent": {"type": "number", "minimum": 0, "maximum": 100, "default": 100},
                    "latency": {
                        "oneOf": [
                            {"type": "number", "minimum": 0, "maximum": MAX_LATENCY},
                            {"type": "string", "examples": ["2s", "500ms"]},
                        ],
                        "default": 0,
                    },
                    "drop": {"type": "boolean", "default": False},
                    "match": {"type": ["string", "null"], "maxLength": 254},
                    "source": {"type": ["string", "null"], "enum": [CHAOS, None]},
                },
            },
        }
    },
}
