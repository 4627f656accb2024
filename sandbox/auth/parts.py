"""What the auth flows share: their settings, their collaborators, and the one way they send.

Every email goes through the `Mailer`, so the configured delivery (sandbox, SMTP, SES, Resend,
not configured) and the send log apply to the reference service exactly as to any send; the
theme is resolved from the store at each send.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mailyard.sandbox.auth.history import DeliveryHistory
from mailyard.sandbox.auth.links import AuthLinks
from mailyard.sandbox.auth.outbox import Outbox
from mailyard.sandbox.auth.passwords import PasswordHasher
from mailyard.sandbox.auth.tenants import Tenants, new_uuid
from mailyard.sandbox.auth.tokens import TokenCodec
from mailyard.sandbox.clock import Clock
from mailyard.sandbox.outbound.mailer import Mailer, SendResult
from mailyard.sandbox.store.accounts import Accounts

if TYPE_CHECKING:
    from mailyard.renderer import Concept

HOUR, DAY = 3600.0, 86400.0


@dataclass(frozen=True)
class AuthConfig:
    """The service's rules.

    Lifetimes: a reset link works for 1 hour (the spec's default TTL). An invitation works until
    its `expiresAt` (7 days when the admin gives none, at most a year ahead). An email
    confirmation works for 24 hours: it proves only that the address is the user's, grants no
    access by itself, and a day covers someone who signs up in the evening and reads mail in the
    morning (the renderer's email-verification copy says 24 hours too).
    """

    public_url: str
    email_verification: bool = True
    reset_ttl: float = HOUR
    verify_ttl: float = DAY
    invite_ttl: float = 7 * DAY
    max_invite_ttl: float = 365 * DAY
    code_attempts: int = 5  # wrong guesses of a 6-digit code before it stops working


@dataclass(frozen=True)
class AuthParts:
    accounts: Accounts
    tenants: Tenants
    mailer: Mailer
    clock: Clock
    codec: TokenCodec
    hasher: PasswordHasher
    outbox: Outbox
    history: DeliveryHistory
    config: AuthConfig
    new_id: Callable[[], str] = new_uuid

    @property
    def links(self) -> AuthLinks:
        return AuthLinks(self.config.public_url)

    async def send(self, concept: Concept, to: str, client_id: str | None) -> SendResult:
        """Send `concept` themed for `client_id` (service default, built-in otherwise)."""
        theme = self.tenants.theme_for(client_id)
        return await self.mailer.send(concept, to, theme=theme)

    def sign_in_url(self, client_id: str | None) -> str:
        client = self.tenants.store.client(client_id) if client_id else None
        return (client.sign_in_url if client else None) or self.links.sign_in()
