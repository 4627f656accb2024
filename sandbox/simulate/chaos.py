"""Mailpit's chaos API (`GET/PUT /api/v1/chaos`) over our fault plans, so Mailpit's clients and
UI drive mailyard unchanged.

Read from Mailpit v1.30.5 (`internal/smtpd/chaos/chaos.go`, `server/apiv1/chaos.go`, swagger
`ChaosTriggers`); our own code. What a client sees, and we reproduce:

- The body is `{"Sender": {"ErrorCode": 451, "Probability": 0}, "Recipient": {...},
  "Authentication": {...}}`, compact, in that order, with a trailing newline (Go's Encoder).
- A PUT replaces all three triggers: one left out, or `null`, is reset to its default code
  (451, 451, 535) with probability 0; so is an `ErrorCode` of 0. Keys match case-insensitively
  and unknown keys are ignored (Go's decoder); anything after the first JSON value is ignored.
- Errors are `400` with `Content-Type: text/plain` and the bare message: `Chaos is not enabled`,
  `error code must be between 400 and 599`, `probability must be between 0 and 100`, Go's
  `json: cannot unmarshal string into Go struct field Trigger.Sender.ErrorCode of type int`,
  `EOF` for an empty body. Syntax errors follow Go's wording for the usual mistakes
  (`invalid character '}' looking for beginning of value`, `unexpected EOF`); Go's scanner has
  rarer, position-specific texts (inside `true`, inside a number) that we word like the nearest
  usual one.
- Triggers fire at MAIL (`451 Chaos sender error`), RCPT (`Chaos recipient error`) and AUTH
  (`Chaos authentication error`), with `Probability` in whole percent.

One difference, on purpose: Mailpit applies Sender before it validates Recipient, so a PUT that
fails on Recipient leaves a changed Sender behind; ours changes nothing when it fails.

Mailpit's `--chaos-triggers`/`MP_CHAOS_TRIGGERS` one-liner (`Sender:451:5,Recipient:...`) is
`parse_triggers()`, with Mailpit's messages (which it prints after `[chaos] `).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Any

from mailyard.sandbox.simulate.errors import SimulateError
from mailyard.sandbox.simulate.faults import CHAOS, FaultPlan, FaultRule, Stage

NOT_ENABLED = "Chaos is not enabled"
FIELDS = ("Sender", "Recipient", "Authentication")
DEFAULT_CODES = {"Sender": 451, "Recipient": 451, "Authentication": 535}
STAGES = {"Sender": Stage.MAIL, "Recipient": Stage.RCPT, "Authentication": Stage.AUTH}
TEXTS = {
    "Sender": "Chaos sender error",
    "Recipient": "Chaos recipient error",
    "Authentication": "Chaos authentication error",
}
_INT64 = 2**63


class ChaosError(SimulateError):
    """A chaos request Mailpit would refuse; the message is Mailpit's, for a text/plain 400."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "chaos")


@dataclass(frozen=True)
class Trigger:
    error_code: int
    probability: int


@dataclass(frozen=True)
class ChaosTriggers:
    sender: Trigger = Trigger(451, 0)
    recipient: Trigger = Trigger(451, 0)
    authentication: Trigger = Trigger(535, 0)

    def as_json(self) -> dict[str, dict[str, int]]:
        return {
            name: {"ErrorCode": t.error_code, "Probability": t.probability}
            for name, t in zip(FIELDS, self._triggers(), strict=True)
        }

    def encode(self) -> bytes:
        """The response body, byte for byte as Mailpit's `json.NewEncoder(w).Encode(conf)`."""
        return json.dumps(self.as_json(), separators=(",", ":")).encode() + b"\n"

    def _triggers(self) -> tuple[Trigger, Trigger, Trigger]:
        return self.sender, self.recipient, self.authentication


def decode_put(body: bytes) -> ChaosTriggers:
    """The triggers a `PUT /api/v1/chaos` body sets; ChaosError carries Mailpit's answer."""
    codes = {name: 0 for name in FIELDS}
    chances = {name: 0 for name in FIELDS}
    value = _go_decode(body)
    error: str | None = None
    if not isinstance(value, _Object):
        if value is not None:  # Go decodes `null` into a struct as nothing at all
            error = f"json: cannot unmarshal {_kind(value)} into Go value of type chaos.Triggers"
    else:
        for key, item in value:
            name = _field(key, FIELDS)
            if name is None or item is None:
                continue
            if not isinstance(item, _Object):
                error = error or (
                    f"json: cannot unmarshal {_kind(item)} into Go struct field"
                    f" Triggers.{name} of type chaos.Trigger"
                )
                continue
            for inner_key, number in item:
                inner = _field(inner_key, ("ErrorCode", "Probability"))
                if inner is None or number is None:
                    continue
                parsed = _go_int(number)
                if parsed is None:
                    error = error or (
                        f"json: cannot unmarshal {_kind(number, literal=True)} into Go struct field"
                        f" Trigger.{name}.{inner} of type int"
                    )
                elif inner == "ErrorCode":
                    codes[name] = parsed
                else:
                    chances[name] = parsed
    if error is not None:
        raise ChaosError(error)
    triggers = [_trigger(codes[name] or DEFAULT_CODES[name], chances[name]) for name in FIELDS]
    return ChaosTriggers(*triggers)


def parse_triggers(text: str, start: ChaosTriggers | None = None) -> ChaosTriggers:
    """Mailpit's `--chaos-triggers` value, e.g. `Sender:451:5,Recipient:550:10`."""
    triggers = start or ChaosTriggers()
    for part in text.split(","):
        part = part.strip()
        # Mailpit's pattern, `[a-zA-Z0-0]` (sic) included: letters and the digit 0.
        found = re.fullmatch(r"([a-zA-Z0]+):([0-9]{3}):([0-9]+(\.[0-9])?)", part)
        if found is None:
            raise ChaosError(f"invalid argument: {part}")
        key, code, chance = found.group(1), int(found.group(2)), found.group(3)
        if not chance.isdigit():
            raise ChaosError(f'strconv.Atoi: parsing "{chance}": invalid syntax')
        trigger = _trigger(code, int(chance))
        key = key.lower()
        if key == "sender":
            triggers = replace(triggers, sender=trigger)
        elif key in ("recipient", "recipients"):
            triggers = replace(triggers, recipient=trigger)
        elif key in ("auth", "authentication"):
            triggers = replace(triggers, authentication=trigger)
        else:
            raise ChaosError(f"unknown key {key}")
    return triggers


def apply(plan: FaultPlan, triggers: ChaosTriggers) -> FaultPlan:
    """`plan` with its chaos rules replaced by these triggers (kept at 0 %, so GET shows them)."""
    rules = tuple(
        FaultRule(
            STAGES[name],
            trigger.error_code,
            TEXTS[name],
            percent=float(trigger.probability),
            source=CHAOS,
        )
        for name, trigger in zip(FIELDS, triggers._triggers(), strict=True)
    )
    return FaultPlan(rules + tuple(r for r in plan.rules if r.source != CHAOS))


def read(plan: FaultPlan) -> ChaosTriggers:
    """The triggers a `GET /api/v1/chaos` shows for `plan` (defaults where it has none)."""
    found = {}
    for name in FIELDS:
        for rule in plan.rules:
            if rule.source == CHAOS and rule.stage is STAGES[name] and rule.code is not None:
                found[name] = Trigger(rule.code, int(rule.percent))
                break
    return ChaosTriggers(**{name.lower(): trigger for name, trigger in found.items()})


def _trigger(code: int, probability: int) -> Trigger:
    """Mailpit's `chaos.Set` checks, in its order: the code, then the probability."""
    if not 400 <= code <= 599:
        raise ChaosError("error code must be between 400 and 599")
    if not 0 <= probability <= 100:
        raise ChaosError("probability must be between 0 and 100")
    return Trigger(code, probability)


# -- Go's encoding/json, as far as these two structs can tell ------------------------------


class _Object(list[tuple[str, Any]]):
    """A JSON object as its key/value pairs in order: Go decodes duplicates in turn."""


@dataclass(frozen=True)
class _Number:
    literal: str  # as written: Go names it in its error (`number 1.5`)


class _Constant(ValueError):
    """NaN or Infinity, which Python's decoder takes and Go's does not."""


def _constant(text: str) -> Any:
    raise _Constant(text)


def _go_decode(body: bytes) -> Any:
    text = body.decode("utf-8", "replace").lstrip(" \t\r\n")
    if not text:
        raise ChaosError("EOF")
    decoder = json.JSONDecoder(
        object_pairs_hook=_Object,
        parse_int=_Number,
        parse_float=_Number,
        parse_constant=_constant,
    )
    try:
        value, _ = decoder.raw_decode(text)  # Decode reads one value and leaves the rest
    except _Constant as exc:
        if str(exc).startswith("-"):  # Go reads `-` as a number's sign, then trips on `I`
            raise ChaosError(_syntax("I", "in numeric literal")) from None
        raise ChaosError(_syntax(str(exc)[0], "looking for beginning of value")) from None
    except RecursionError:
        raise ChaosError(_syntax("[", "exceeded max depth")) from None
    except json.JSONDecodeError as exc:
        raise ChaosError(_go_syntax_error(exc)) from None
    return value


def _go_syntax_error(exc: json.JSONDecodeError) -> str:
    doc, pos, msg = exc.doc, exc.pos, exc.msg
    if msg.startswith("Unterminated string") or pos >= len(doc):
        return "unexpected EOF"
    char = doc[pos]
    if msg.startswith("Illegal trailing comma"):  # Python 3.13+; 3.11 says "Expecting ..."
        closing = doc[pos + 1 :].lstrip(" \t\r\n")[:1] or "}"
        if closing == "]":
            return _syntax(closing, "looking for beginning of value")
        return _syntax(closing, "looking for beginning of object key string")
    if msg == "Expecting property name enclosed in double quotes":
        return _syntax(char, "looking for beginning of object key string")
    if msg == "Expecting ':' delimiter":
        return _syntax(char, "after object key")
    if msg == "Expecting ',' delimiter":
        inside = "after array element" if _innermost(doc, pos) == "[" else None
        return _syntax(char, inside or "after object key:value pair")
    if msg.startswith("Invalid control character"):
        return _syntax(char, "in string literal")
    if msg == "Invalid \\escape":
        return (
            "unexpected EOF"
            if pos + 1 >= len(doc)
            else _syntax(doc[pos + 1], "in string escape code")
        )
    if msg == "Invalid \\uXXXX escape":
        digits = doc[pos + 2 : pos + 6]
        bad = next((c for c in digits if c not in "0123456789abcdefABCDEF"), None)
        if bad is None:
            return "unexpected EOF"
        return _syntax(bad, "in \\u hexadecimal character escape")
    return _syntax(char, "looking for beginning of value")


def _innermost(doc: str, pos: int) -> str | None:
    """The bracket open at `pos`, skipping strings: one linear pass."""
    stack: list[str] = []
    in_string = escaped = False
    for char in doc[:pos]:
        if in_string:
            escaped, in_string = (False, True) if escaped else (char == "\\", char != '"')
        elif char == '"':
            in_string = True
        elif char in "[{":
            stack.append(char)
        elif char in "]}" and stack:
            stack.pop()
    return stack[-1] if stack else None


def _syntax(char: str, context: str) -> str:
    """Go's `invalid character 'x' <context>`, quoting the byte as Go's `quoteChar` does."""
    byte = char.encode("utf-8", "replace")[0]  # Go scans bytes: 'é' shows as its first, 'Ã'
    return f"invalid character {_quote_char(chr(byte))} {context}"


def _quote_char(char: str) -> str:
    if char == "'":
        return "'\\''"
    if char == '"':
        return "'\"'"
    escapes = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    escapes |= {"\v": "\\v", "\\": "\\\\"}
    if char in escapes:
        return f"'{escapes[char]}'"
    if char.isprintable():
        return f"'{char}'"
    code = ord(char)
    return f"'\\x{code:02x}'" if code < 0x80 else f"'\\u{code:04x}'"


def _field(key: str, names: tuple[str, ...]) -> str | None:
    """Go matches a key to a field exactly, else case-insensitively."""
    return next((n for n in names if n == key), None) or next(
        (n for n in names if n.lower() == key.lower()), None
    )


def _go_int(value: Any) -> int | None:
    """A Go `int` from a JSON number written as an integer within int64, else None."""
    if not isinstance(value, _Number):
        return None
    literal = value.literal
    digits = literal[1:] if literal.startswith("-") else literal
    if not digits.isdigit():
        return None
    number = int(literal)
    return number if -_INT64 <= number < _INT64 else None


def _kind(value: Any, *, literal: bool = False) -> str:
    """How Go's UnmarshalTypeError names a JSON value (a number bound for an int: with its text)."""
    if isinstance(value, _Object):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, _Number):
        return f"number {value.literal}" if literal else "number"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "string"
    return "null"
