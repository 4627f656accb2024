"""The email concepts and their typed contexts: every variable named, required or optional.

Field names are snake_case; each also answers to the spec's camelCase name (`accept_url` is the
spec's `acceptUrl`), so contexts can be built from the spec's JSON or from `--var` flags.
"""

from __future__ import annotations

import re
from dataclasses import MISSING, dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, get_type_hints

from mailyard.renderer.errors import VariableError

_URL_RE = re.compile(r"^https?://[^\s\"'<>\\]+$")
_CODE_RE = re.compile(r"^[A-Za-z0-9-]{3,16}$")


def _var(description: str, example: str, spec: str | None = None, default: Any = MISSING) -> Any:
    meta = {"description": description, "example": example, "spec": spec}
    if default is MISSING:
        return field(metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Concept:
    """Base of every concept: `name` identifies it, the fields are its variables."""

    name: ClassVar[str]
    summary: ClassVar[str]

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if f.name.endswith("_url") and not _URL_RE.match(str(value)):
                raise VariableError(f"{_spec(f)} must be an http(s) URL", _spec(f))
            if f.name == "code" and not _CODE_RE.match(str(value)):
                raise VariableError("code must be 3-16 letters, digits or dashes", "code")
            if (
                isinstance(value, str)
                and ("\r" in value or "\n" in value)
                and not f.name.endswith("_url")
            ):
                raise VariableError(f"{_spec(f)} must be a single line", _spec(f))

    @classmethod
    def variables(cls) -> list[dict[str, Any]]:
        """Each variable: name, spec name, type, required, description, example."""
        hints = get_type_hints(cls)
        out = []
        for f in fields(cls):
            out.append(
                {
                    "name": f.name,
                    "spec": _spec(f),
                    "type": _type_name(hints[f.name]),
                    "required": f.default is MISSING,
                    "description": f.metadata.get("description", ""),
                    "example": f.metadata.get("example", ""),
                }
            )
        return out


def _spec(f: Any) -> str:
    return str(f.metadata.get("spec") or f.name)


def _type_name(hint: Any) -> str:
    """`str`, `datetime` or `timedelta`, also for `X | None`."""
    for arg in (hint, *getattr(hint, "__args__", ())):
        name = getattr(arg, "__name__", "")
        if name in ("datetime", "timedelta", "str"):
            return name
    return str(hint)


@dataclass(frozen=True)
class Invitation(Concept):
    name: ClassVar[str] = "invitation"
    summary: ClassVar[str] = "An admin invited someone to a client (app)."
    accept_url: str = _var(
        "Single-use invitation link", "https://auth.example.com/invite?token=opaque", "acceptUrl"
    )
    client_name: str = _var("The app the invitation is for", "Media Conductor", "clientName")
    inviter_name: str = _var("Who sent the invitation", "Clay Levering", "inviterName")
    expires_at: datetime = _var("When the invitation expires", "2026-04-23T00:00:00Z", "expiresAt")
    recipient_name: str | None = _var(
        "Greeting name; null greets 'Hi there'", "Jane Doe", "recipientName", None
    )


@dataclass(frozen=True)
class PasswordReset(Concept):
    name: ClassVar[str] = "password-reset"
    summary: ClassVar[str] = "Someone asked to reset the password."
    reset_url: str = _var(
        "Single-use reset link",
        "https://auth.example.com/reset-password-token?token=opaque",
        "resetUrl",
    )
    user_name: str | None = _var("Greeting name", "Jane", "userName", None)
    ttl: timedelta = _var("How long the link works", "1h", "ttl", timedelta(hours=1))
    code: str | None = _var("A code to type instead of clicking", "493021", "code", None)


@dataclass(frozen=True)
class Welcome(Concept):
    name: ClassVar[str] = "welcome"
    summary: ClassVar[str] = "A user accepted an invitation or finished self-signup."
    sign_in_url: str = _var("Where to sign in", "https://auth.example.com/login", "signInUrl")
    user_name: str | None = _var("Greeting name", "Jane", "userName", None)


@dataclass(frozen=True)
class EmailVerification(Concept):
    name: ClassVar[str] = "email-verification"
    summary: ClassVar[str] = (
        "Confirm an email address (after signup, or the spec's 'email confirmation')."
    )
    verify_url: str = _var(
        "Single-use confirmation link", "https://auth.example.com/verify?token=opaque", "verifyUrl"
    )
    code: str = _var("The same confirmation as a code", "738214", "code")
    user_name: str | None = _var("Greeting name", "Jane", "userName", None)
    ttl: timedelta = _var("How long the link and code work", "24h", "ttl", timedelta(hours=24))


@dataclass(frozen=True)
class LoginCode(Concept):
    name: ClassVar[str] = "login-code"
    summary: ClassVar[str] = "A one-time sign-in code, with a magic link when given."
    code: str = _var("The one-time code", "482913", "code")
    sign_in_url: str | None = _var(
        "Magic link that signs in directly",
        "https://auth.example.com/magic?token=opaque",
        "signInUrl",
        None,
    )
    user_name: str | None = _var("Greeting name", "Jane", "userName", None)
    ttl: timedelta = _var("How long the code works", "10m", "ttl", timedelta(minutes=10))


@dataclass(frozen=True)
class EmailChangeConfirm(Concept):
    name: ClassVar[str] = "email-change-confirm"
    summary: ClassVar[str] = "Sent to the new address: confirm the change."
    confirm_url: str = _var(
        "Single-use confirmation link",
        "https://auth.example.com/email/confirm?token=opaque",
        "confirmUrl",
    )
    new_email: str = _var("The new address", "jane.doe@example.org", "newEmail")
    user_name: str | None = _var("Greeting name", "Jane", "userName", None)
    ttl: timedelta = _var("How long the link works", "24h", "ttl", timedelta(hours=24))
    code: str | None = _var("A code to type instead of clicking", "551920", "code", None)


@dataclass(frozen=True)
class EmailChangeNotice(Concept):
    name: ClassVar[str] = "email-change-notice"
    summary: ClassVar[str] = "Sent to the old address: its account is moving to a new one."
    old_email: str = _var("The current address", "jane@example.com", "oldEmail")
    new_email: str = _var("The requested new address", "jane.doe@example.org", "newEmail")
    user_name: str | None = _var("Greeting name", "Jane", "userName", None)
    secure_url: str | None = _var(
        "Where to act if it was not them", "https://auth.example.com/security", "secureUrl", None
    )


@dataclass(frozen=True)
class SecurityNotice(Concept):
    name: ClassVar[str] = "security-notice"
    summary: ClassVar[str] = "The password was changed, or a new sign-in happened."
    kind: str = _var("password-changed or new-sign-in", "new-sign-in", "kind")
    occurred_at: datetime = _var("When it happened", "2026-11-21T09:30:00Z", "occurredAt")
    user_name: str | None = _var("Greeting name", "Jane", "userName", None)
    device: str | None = _var(
        "Browser and system of a new sign-in", "Firefox on Linux", "device", None
    )
    location: str | None = _var(
        "Approximate location of a new sign-in", "Berlin, Germany", "location", None
    )
    ip_address: str | None = _var("IP address of a new sign-in", "203.0.113.7", "ipAddress", None)
    secure_url: str | None = _var(
        "Where to act if it was not them", "https://auth.example.com/security", "secureUrl", None
    )

    KINDS: ClassVar[tuple[str, ...]] = ("password-changed", "new-sign-in")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.kind not in self.KINDS:
            raise VariableError(f"kind must be one of {', '.join(self.KINDS)}", "kind")


CONCEPTS: dict[str, type[Concept]] = {
    c.name: c
    for c in (
        Invitation,
        PasswordReset,
        Welcome,
        EmailVerification,
        LoginCode,
        EmailChangeConfirm,
        EmailChangeNotice,
        SecurityNotice,
    )
}
ALIASES = {"magic-link": "login-code", "email-confirmation": "email-verification"}

_DURATION_RE = re.compile(r"^(\d+)\s*([smhdw]?)$")
_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _convert(value: Any, hint: str, name: str) -> Any:
    if value is None or not isinstance(value, str):
        if hint == "timedelta" and isinstance(value, int | float):
            return timedelta(seconds=value)
        return value
    if hint == "datetime":
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise VariableError(
                f"{name} must be an ISO date-time like 2026-04-23T00:00:00Z", name
            ) from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if hint == "timedelta":
        match = _DURATION_RE.match(value.strip().lower())
        if not match:
            raise VariableError(f"{name} must be a duration like 3600, 30m, 1h or 7d", name)
        return timedelta(seconds=int(match.group(1)) * _SECONDS[match.group(2)])
    return value


def concept_from_vars(concept: str, values: dict[str, Any]) -> Concept:
    """Build a concept from loosely typed values (JSON, `--var k=v`): spec or snake_case names."""
    cls = CONCEPTS.get(ALIASES.get(concept, concept))
    if cls is None:
        raise VariableError(
            f"unknown email concept {concept!r}; one of {', '.join(CONCEPTS)}", "emailConcept"
        )
    by_name = {v["name"]: v for v in cls.variables()}
    by_spec = {v["spec"]: v for v in cls.variables()}
    kwargs = {}
    for key, value in values.items():
        info = by_name.get(key) or by_spec.get(key)
        if info is None:
            raise VariableError(
                f"{concept} has no variable {key!r}; it takes {', '.join(by_spec)}", key
            )
        kwargs[info["name"]] = _convert(value, info["type"], info["spec"])
    missing = [v["spec"] for v in cls.variables() if v["required"] and v["name"] not in kwargs]
    if missing:
        raise VariableError(f"{concept} needs {', '.join(missing)}", missing[0])
    return cls(**kwargs)
