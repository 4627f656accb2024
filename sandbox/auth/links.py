"""The links the auth emails carry, on the service's public URL.

Each link points at an endpoint that answers GET without consuming anything (a page or JSON
asking to confirm with POST; link scanners such as Safe Links prefetch every link in a mail)
and consumes the token only on POST. The MIOSA-style flows use `/auth/...`; the BluAuth-style
ones use Better Auth's `/api/auth/...` paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

MIOSA, BLUAUTH = "miosa", "bluauth"
STYLES = (MIOSA, BLUAUTH)

RESET_PATHS = {MIOSA: "/auth/password-reset/confirm", BLUAUTH: "/api/auth/reset-password"}
VERIFY_PATH = "/auth/confirm"
INVITE_PATH = "/api/auth/accept-invite"
SIGN_IN_PATH = "/auth/login"


@dataclass(frozen=True)
class AuthLinks:
    """Builds links on `public_url` (scheme, host, optional path prefix; no query)."""

    public_url: str

    def __post_init__(self) -> None:
        parts = urlsplit(self.public_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ValueError(
                f"the public URL must be http(s)://host[:port][/prefix], not {self.public_url!r}"
            )
        object.__setattr__(self, "public_url", self.public_url.rstrip("/"))

    def _url(self, path: str, token: str | None = None) -> str:
        query = f"?token={quote(token, safe='')}" if token is not None else ""
        return f"{self.public_url}{path}{query}"

    def reset(self, token: str, style: str = MIOSA) -> str:
        return self._url(RESET_PATHS[style], token)

    def verify(self, token: str) -> str:
        return self._url(VERIFY_PATH, token)

    def invite(self, token: str) -> str:
        return self._url(INVITE_PATH, token)

    def sign_in(self) -> str:
        return self._url(SIGN_IN_PATH)
