"""What the auth service tells the bus, for the webhook dispatcher to deliver.

The spec's lifecycle events: `user.created` and `invitation.accepted` (downstream apps drive
their own sequences from them), plus `invitation.created` and `invitation.revoked`. Each is
emitted inside the job that makes the change, so it is published only once that change is
committed. `type` is the webhook event name; `payload()` is its data, in the spec's camelCase.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from mailyard.sandbox.auth.tokens import when
from mailyard.sandbox.events import Event


@dataclass(frozen=True)
class AuthEvent(Event):
    """Base of the auth service's events."""

    type: ClassVar[str]
    at: float

    def payload(self) -> dict[str, object]:
        return {"type": self.type, "createdAt": when(self.at), "data": self.data()}

    def data(self) -> dict[str, object]:
        raise NotImplementedError


@dataclass(frozen=True)
class UserCreated(AuthEvent):
    type: ClassVar[str] = "user.created"
    user_id: str
    email: str
    name: str | None
    client_id: str | None
    source: str  # signup | invitation

    def data(self) -> dict[str, object]:
        return {
            "userId": self.user_id,
            "email": self.email,
            "name": self.name,
            "clientId": self.client_id,
            "source": self.source,
        }


@dataclass(frozen=True)
class InvitationCreated(AuthEvent):
    type: ClassVar[str] = "invitation.created"
    invitation_id: str
    email: str
    client_id: str | None
    expires_at: float

    def data(self) -> dict[str, object]:
        return {
            "invitationId": self.invitation_id,
            "email": self.email,
            "clientId": self.client_id,
            "expiresAt": when(self.expires_at),
        }


@dataclass(frozen=True)
class InvitationAccepted(AuthEvent):
    type: ClassVar[str] = "invitation.accepted"
    invitation_id: str
    user_id: str
    email: str
    client_id: str | None

    def data(self) -> dict[str, object]:
        return {
            "invitationId": self.invitation_id,
            "userId": self.user_id,
            "email": self.email,
            "clientId": self.client_id,
        }


@dataclass(frozen=True)
class InvitationRevoked(AuthEvent):
    type: ClassVar[str] = "invitation.revoked"
    invitation_id: str
    email: str
    client_id: str | None

    def data(self) -> dict[str, object]:
        return {"invitationId": self.invitation_id, "email": self.email, "clientId": self.client_id}


AUTH_EVENTS: tuple[type[AuthEvent], ...] = (
    UserCreated,
    InvitationCreated,
    InvitationAccepted,
    InvitationRevoked,
)
