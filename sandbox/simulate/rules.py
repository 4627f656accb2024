"""User rules: "mail to these addresses bounces / complains / is delayed", optionally for a
reproducible share of them.

A rule is an address pattern (`patterns.py`), an outcome phrase (`actions.py`), an optional
percentage, seed and `per`. The same rule reads the same from every source:

- a config file, TOML (or JSON, same shape):

      seed = "ci-42"
      [[rules]]
      match = "*@example.com"
      outcome = "complaint"
      percent = 1
      [[rules]]
      match = "bounce@x.test"
      outcome = "bounce permanent/noemail"

- CLI/env, one line, `;` between rules, options after the outcome:
  `seed=ci-42; *@example.com: complaint 1%; bounce@x.test: bounce permanent/noemail;
  *.corp.test: delay 30s then bounce transient/mailboxfull 5% seed=other per=message`
- the API, per mailbox at run time: `as_json()` / `from_json()`, described by `SCHEMA`.

In a set, the first rule that matches the recipient *and* whose draw hits decides; a rule whose
draw misses lets the next ones (and in the end the default, deliver) decide.

**Determinism.** A draw is not taken from a shared random stream, whose order would depend on
which message arrived first. It is a keyed hash: BLAKE2b keyed with SHA-256(seed), over the
rule's canonical text (pattern and outcome, not its percentage), the lower-cased recipient, and,
for `per=message` rules only, the message's ordinal (the count of earlier messages to that
recipient in the mailbox, which the engine derives from its store). The hash, read as a number in
[0, 1), hits when below `percent / 100`. So:

- the same seed picks the same recipients in every run, whatever the arrival order, concurrency
  or the other rules around it; another seed picks others;
- raising 1 % to 2 % keeps the first 1 % and adds to it (the key leaves the percentage out);
- `per=recipient` (the default) gives each address one fate, like a real mailbox that does not
  exist; `per=message` re-draws for each message, like a reader who reports one mail in a
  hundred, and stays reproducible as long as the messages to one address arrive in order.

A rule without a seed takes its set's (default `"0"`): reproducible out of the box.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from mailyard.sandbox.simulate.actions import Action, parse_action
from mailyard.sandbox.simulate.errors import RuleError
from mailyard.sandbox.simulate.outcomes import Outcome
from mailyard.sandbox.simulate.patterns import AddressPattern, parse_pattern
from mailyard.sandbox.simulate.units import check_percent, parse_percent

MAX_RULES = 1000
MAX_TEXT = 256 * 1024  # a config file or an env value; far beyond a thousand rules
MAX_SEED = 200
COMPLAINT_AGENT = "mailyard rule"
PER = ("recipient", "message")
T = TypeVar("T")
_RULE_FIELDS = ("match", "outcome", "percent", "seed", "per")


@dataclass(frozen=True)
class Rule:
    match: AddressPattern
    action: Action
    percent: float = 100.0
    seed: str | None = None  # None: the set's
    per: str = "recipient"

    @property
    def key(self) -> str:
        """What the draw hashes besides seed and recipient: the rule's meaning, not its odds."""
        return f"{self.match.text} {self.action.text}"

    def hits(self, recipient: str, seed: str, ordinal: int = 0) -> bool:
        if self.percent <= 0 or not self.match.matches(recipient):
            return False
        if self.percent >= 100:
            return True
        message = ordinal if self.per == "message" else None
        return draw(self.seed or seed, self.key, recipient, message) * 100 < self.percent

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "match": self.match.text,
            "outcome": self.action.text,
            "percent": self.percent,
            "per": self.per,
        }
        if self.seed is not None:
            data["seed"] = self.seed
        return data


def draw(seed: str, rule_key: str, recipient: str, ordinal: int | None) -> float:
    """A number in [0, 1) fixed by its inputs (see the module docstring for why these)."""
    key = hashlib.sha256(seed.encode()).digest()
    parts = [rule_key, recipient.lower()] + ([] if ordinal is None else [str(ordinal)])
    digest = hashlib.blake2b("\x1f".join(parts).encode(), key=key, digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@dataclass(frozen=True)
class RuleSet:
    """An ordered list of rules with a default seed; `name` shows in `Outcome.decided_by`."""

    rules: tuple[Rule, ...] = ()
    seed: str = "0"
    name: str = "global"

    def decide(self, recipient: str, *, ordinal: int = 0) -> Outcome | None:
        """The first rule that matches and hits, as a plan; None when none does."""
        for index, rule in enumerate(self.rules):
            if rule.hits(recipient, self.seed, ordinal):
                decided_by = f"rule:{self.name}[{index}]"
                return rule.action.outcome(rule.action.text, decided_by, user_agent=COMPLAINT_AGENT)
        return None

    def as_json(self) -> dict[str, Any]:
        return {"seed": self.seed, "rules": [rule.as_json() for rule in self.rules]}

    @classmethod
    def from_json(cls, data: object, *, name: str = "global") -> RuleSet:
        """From the API's JSON (or a parsed config file); RuleError names the field at fault."""
        if not isinstance(data, Mapping):
            raise RuleError('rules: expected an object {"seed": ..., "rules": [...]}', "rules")
        unknown = sorted(set(data) - {"seed", "rules"})
        if unknown:
            raise RuleError(f"unknown field {unknown[0]!r} (fields: seed, rules)", unknown[0])
        seed = _seed(data.get("seed", "0"), "seed")
        items = data.get("rules", [])
        if not isinstance(items, Sequence) or isinstance(items, str):
            raise RuleError("rules: expected a list", "rules")
        if len(items) > MAX_RULES:
            raise RuleError(f"rules: at most {MAX_RULES}", "rules")
        return cls(tuple(_rule(item, f"rules[{i}]") for i, item in enumerate(items)), seed, name)

    @classmethod
    def parse(cls, text: str, *, name: str = "global") -> RuleSet:
        """From the one-line CLI/env form (see the module docstring)."""
        _cap(text)
        seed = "0"
        rules: list[Rule] = []
        items = [item.strip() for item in text.replace("\n", ";").split(";")]
        for item in filter(None, items):
            where = f"rules[{len(rules)}]"
            if ":" not in item and item.lower().startswith("seed="):
                seed = _seed(item[5:], "seed")
                continue
            pattern, colon, phrase = item.partition(":")
            if not colon:
                raise RuleError(
                    f"{where}: expected '<pattern>: <outcome>', got {item[:80]!r}", where
                )
            rules.append(_rule(_fields(pattern, phrase, where), where))
            if len(rules) > MAX_RULES:
                raise RuleError(f"rules: at most {MAX_RULES}", "rules")
        return cls(tuple(rules), seed, name)

    @classmethod
    def from_toml(cls, text: str, *, name: str = "global") -> RuleSet:
        import tomllib  # here: only a TOML rules file needs it, not every start of `serve`

        _cap(text)
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise RuleError(f"rules file: {exc}", "rules") from None
        return cls.from_json(data, name=name)

    @classmethod
    def load(cls, path: str | Path, *, name: str = "global") -> RuleSet:
        """A `.toml` or `.json` rules file; RuleError says which file and what is wrong."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RuleError(f"cannot read {path}: {exc}", "rules") from None
        if path.suffix.lower() == ".json":
            _cap(text)
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise RuleError(f"{path}: {exc}", "rules") from None
            return cls.from_json(data, name=name)
        if path.suffix.lower() != ".toml":
            raise RuleError(f"{path}: a rules file ends in .toml or .json", "rules")
        return cls.from_toml(text, name=name)


def _fields(pattern: str, phrase: str, where: str) -> dict[str, Any]:
    """A one-line rule's words sorted into the JSON fields, so one validator serves both."""
    fields: dict[str, Any] = {"match": pattern.strip()}
    words = []
    for word in phrase.split():
        name, eq, value = word.partition("=")
        if eq and name.lower() in ("seed", "per"):
            fields[name.lower()] = value
        elif word.endswith("%"):
            try:
                fields["percent"] = parse_percent(word)
            except ValueError as exc:
                raise RuleError(f"{where}.percent: {exc}", f"{where}.percent") from None
        else:
            words.append(word)
    fields["outcome"] = " ".join(words)
    return fields


def _rule(item: object, where: str) -> Rule:
    if not isinstance(item, Mapping):
        raise RuleError(f"{where}: expected an object with match and outcome", where)
    unknown = sorted(set(item) - set(_RULE_FIELDS))
    if unknown:
        raise RuleError(
            f"{where}: unknown field {unknown[0]!r} (fields: {', '.join(_RULE_FIELDS)})", where
        )
    for required in ("match", "outcome"):
        if not isinstance(item.get(required), str):
            raise RuleError(f"{where}.{required}: required, a string", f"{where}.{required}")
    per = item.get("per", "recipient")
    if per not in PER:
        raise RuleError(f"{where}.per: {per!r} is not recipient or message", f"{where}.per")
    seed = item.get("seed")
    return Rule(
        _field(where, "match", parse_pattern, item["match"]),
        _field(where, "outcome", parse_action, item["outcome"]),
        _field(where, "percent", check_percent, item.get("percent", 100)),
        None if seed is None else _seed(seed, f"{where}.seed"),
        per,
    )


def _field(where: str, name: str, parse: Callable[[Any], T], value: object) -> T:
    try:
        return parse(value)
    except ValueError as exc:
        raise RuleError(f"{where}.{name}: {exc}", f"{where}.{name}") from None


def _seed(value: object, field: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RuleError(f"{field}: a seed is a string or an integer", field)
    text = str(value).strip()
    if not text or len(text) > MAX_SEED:
        raise RuleError(f"{field}: a seed has 1 to {MAX_SEED} characters", field)
    return text


def _cap(text: str) -> None:
    if len(text) > MAX_TEXT:
        raise RuleError(f"rules: longer than {MAX_TEXT} characters", "rules")


SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "seed": {
            "oneOf": [{"type": "string", "maxLength": MAX_SEED}, {"type": "integer"}],
            "default": "0",
            "description": "Seed of every rule without its own: same seed, same recipients picked.",
        },
        "rules": {
            "type": "array",
            "maxItems": MAX_RULES,
            "description": "In order; the first rule that matches and whose draw hits decides.",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["match", "outcome"],
                "properties": {
                    "match": {
                        "type": "string",
                        "maxLength": 254,
                        "description": "`*`, `example.com`, `*.example.com`, `*@example.com`,"
                        " `bob@example.com`, `bounce-*@example.com` (`*`/`?` glob on the local"
                        " part); case-insensitive.",
                    },
                    "outcome": {
                        "type": "string",
                        "description": "deliver"
                        " | bounce [permanent|transient|undetermined[/subtype]]"
                        " | complaint [abuse|auth-failure|fraud|not-spam|other|virus]"
                        " | delay <duration> [then deliver | then bounce [type[/subtype]]]"
                        " | reject",
                        "examples": ["bounce transient/mailboxfull", "delay 30s then deliver"],
                    },
                    "percent": {"type": "number", "minimum": 0, "maximum": 100, "default": 100},
                    "seed": {
                        "oneOf": [{"type": "string", "maxLength": MAX_SEED}, {"type": "integer"}]
                    },
                    "per": {"type": "string", "enum": list(PER), "default": "recipient"},
                },
            },
        },
    },
}
