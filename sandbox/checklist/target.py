"""What the checklist runs against: the built-in auth service of a running mailyard, or any
auth service whose mail reaches that mailyard (by SMTP, or through its SES or Resend API).

Paths default to MIOSA's ({AUTH_URL}/signup, /password-reset, /password-reset/confirm) and
JSON field names to the usual ones; a service that differs says so with `--signup-path`,
`--token-field` and their siblings.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

BUILTIN_PATH = "/auth"


@dataclass(frozen=True)
class ChecklistTarget:
    mailyard_url: str
    auth_url: str | None = None  # None: the built-in service at {mailyard_url}/auth
    signup_path: str = "/signup"
    reset_path: str = "/password-reset"
    confirm_path: str = "/password-reset/confirm"
    # JSON field names (not secrets)
    email_field: str = "email"
    password_field: str = "password"  # noqa: S105
    token_field: str = "token"  # noqa: S105
    new_password_field: str = "password"  # noqa: S105
    public_url: str | None = None  # the app's public URL links must use (default: below)
    production: bool = False  # links must be https and not on a local host
    email: str | None = None  # the test user's address (default: a fresh one per run)
    mailbox: str | None = None  # read mail of this mailyard mailbox only
    timeout: float = 10.0  # seconds to wait for each email
    samples: int = 20  # per side, for the enumeration check
    reset_ttl: float = 3600.0  # the reset link's lifetime (the built-in service says its own)

    def __post_init__(self) -> None:
        for name in ("mailyard_url", "auth_url", "public_url"):
            value = getattr(self, name)
            if value is None:
                continue
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"{name.replace('_', '-')} must be an http(s) URL, not {value!r}")
            object.__setattr__(self, name, value.rstrip("/"))
        for name in ("signup_path", "reset_path", "confirm_path"):
            if not getattr(self, name).startswith("/"):
                raise ValueError(f"{name.replace('_', '-')} must start with /")
        if not 5 <= self.samples <= 500:
            raise ValueError("samples must be between 5 and 500")

    @property
    def builtin(self) -> bool:
        return self.auth_url is None

    @property
    def base(self) -> str:
        """{AUTH_URL}, as the spec writes it."""
        return self.auth_url or self.mailyard_url + BUILTIN_PATH

    def url(self, path: str) -> str:
        return self.base + path

    def describe(self) -> str:
        which = "the built-in auth service" if self.builtin else "the auth service"
        return f"{which} at {self.base}, mail read from mailyard at {self.mailyard_url}"

    def as_json(self) -> dict[str, object]:
        return {
            "description": self.describe(),
            "authUrl": self.base,
            "builtin": self.builtin,
            "mailyardUrl": self.mailyard_url,
            "paths": {
                "signup": self.signup_path,
                "passwordReset": self.reset_path,
                "passwordResetConfirm": self.confirm_path,
            },
            "production": self.production,
        }
