"""Invitations: an admin invites an address to a client; the invitee accepts with a password.

The spec's triggers, kept here: the invitation email is sent when an invitation is created and
never on revoke or accept; accepting sends the welcome email (once, as every welcome). A new
invitation for an address supersedes its pending ones (revoked, without an email). The spec's
"check the suppression list before re-inviting a bouncing user" is done for the admin: an
address that is suppressed or has hard-bounced is refused with the reason unless `override`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

# The renderer's names are read at the first send (`renderer.X`): it loads on first use, so
# `mailyard serve` does not import templates and catalogues to start (issue 10).
from mailyard import renderer
from mailyard.sandbox.auth.errors import (
    AccountExistsError,
    InvitationStateError,
    SuppressedError,
    TokenError,
)
from mailyard.sandbox.auth.events import (
    InvitationAccepted,
    InvitationCreated,
    InvitationRevoked,
    UserCreated,
)
from mailyard.sandbox.auth.history import Standing, standing_of
from mailyard.sandbox.auth.inputs import check_email, check_name
from mailyard.sandbox.auth.parts import AuthParts
from mailyard.sandbox.auth.passwords import check_password
from mailyard.sandbox.auth.tokens import INVITE, judge, when
from mailyard.sandbox.errors import InvalidInputError, NotFoundError
from mailyard.sandbox.outbound.mailer import SendResult
from mailyard.sandbox.store.accounts import Accounts, InvitationRecord, TokenRecord, UserRecord
from mailyard.sandbox.store.writer import Tx


@dataclass(frozen=True)
class Invited:
    invitation: InvitationRecord
    email: SendResult
    superseded: tuple[str, ...]  # the pending invitations this one replaced
    standing: Standing  # the address's delivery history when it was invited


@dataclass(frozen=True)
class Accepted:
    user: UserRecord
    invitation: InvitationRecord
    welcome: SendResult | None


def invitation_json(invitation: InvitationRecord) -> dict[str, object]:
    return {
        "id": invitation.id,
        "email": invitation.email,
        "recipientName": invitation.recipient_name,
        "inviterName": invitation.inviter_name,
        "clientId": invitation.client_id,
        "status": invitation.status,
        "expiresAt": when(invitation.expires),
        "createdAt": when(invitation.created),
        "acceptedAt": when(invitation.accepted) if invitation.accepted else None,
        "revokedAt": when(invitation.revoked) if invitation.revoked else None,
        "userId": invitation.user_id,
    }


def parse_expiry(value: object, now: float, default_ttl: float, max_ttl: float) -> float:
    """`expiresAt` (ISO 8601, as the spec's `2026-04-23T00:00:00.000Z`) as a timestamp."""
    if value is None:
        return now + default_ttl
    if not isinstance(value, str) or len(value) > 40:
        raise InvalidInputError("expiresAt must be an ISO 8601 date-time", "expiresAt")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InvalidInputError(
            "expiresAt must be an ISO 8601 date-time such as 2026-04-23T00:00:00.000Z",
            "expiresAt",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    stamp = moment.timestamp()
    if stamp <= now:
        raise InvalidInputError(
            f"expiresAt must be in the future (now is {when(now)})", "expiresAt"
        )
    if stamp > now + max_ttl:
        raise InvalidInputError(
            f"expiresAt must be within {max_ttl / 86400:g} days from now", "expiresAt"
        )
    return stamp


class Invitations:
    def __init__(self, parts: AuthParts) -> None:
        self.parts = parts
        self.accounts: Accounts = parts.accounts

    def get(self, invitation_id: str) -> InvitationRecord:
        found = self.accounts.invitation(invitation_id)
        if found is None:
            raise NotFoundError(f"no invitation has the id {invitation_id[:80]!r}")
        return found

    async def invite(
        self,
        email: object,
        *,
        client_id: object = None,
        recipient_name: object = None,
        inviter_name: object = None,
        expires_at: object = None,
        override: bool = False,
    ) -> Invited:
        address = check_email(email)
        recipient = check_name(recipient_name, "recipientName")
        inviter = check_name(inviter_name, "inviterName")
        client = self._client(client_id)
        config, clock, codec = self.parts.config, self.parts.clock, self.parts.codec
        now = clock.now()
        expires = parse_expiry(expires_at, now, config.invite_ttl, config.max_invite_ttl)
        if self.accounts.user_by_email(address) is not None:
            raise AccountExistsError(f"{address} already has an account", field="email")
        standing = standing_of(self.parts.history, address)
        refusal = standing.refusal()
        if refusal is not None and not override:
            raise SuppressedError(
                f"not invited: {refusal}. Check the address with the user first; send "
                '"override": true to invite anyway',
                standing.suppressed or "hard_bounce",
            )
        client_name = self.parts.tenants.client_name(client)
        client_label = client_name or self.parts.tenants.theme_for(client).name or "account"
        invitation = InvitationRecord(
            id=self.parts.new_id(),
            email=address,
            recipient_name=recipient,
            inviter_name=inviter or f"The {client_label} team",
            client_id=client,
            status="pending",
            expires=expires,
            created=now,
            accepted=None,
            revoked=None,
            user_id=None,
        )
        minted = codec.mint(INVITE)

        def job(tx: Tx) -> tuple[str, ...]:
            superseded = []
            for old in Accounts.pending_invitations_in(tx, address):
                Accounts.set_invitation_in(tx, old.id, "revoked", now)
                Accounts.revoke_tokens_in(tx, old.id, (INVITE,), now)
                tx.emit(InvitationRevoked(now, old.id, old.email, old.client_id))
                superseded.append(old.id)
            Accounts.add_invitation_in(tx, invitation, minted.hash)
            Accounts.add_token_in(
                tx, TokenRecord(minted.hash, INVITE, invitation.id, now, expires, None, None, 0)
            )
            tx.emit(InvitationCreated(now, invitation.id, address, client, expires))
            return tuple(superseded)

        superseded = await self.accounts.writer.run(job)
        concept = renderer.Invitation(
            accept_url=self.parts.links.invite(minted.text),
            client_name=client_label,
            inviter_name=invitation.inviter_name,
            expires_at=datetime.fromtimestamp(expires, UTC),
            recipient_name=recipient,
        )
        sent = await self.parts.send(concept, address, client)
        return Invited(invitation, sent, superseded, standing)

    async def revoke(self, invitation_id: str) -> InvitationRecord:
        """Withdraw a pending invitation. No email is sent: the spec sends only on creation."""
        now = self.parts.clock.now()

        def job(tx: Tx) -> InvitationRecord:
            found = Accounts.invitation_in(tx, invitation_id)
            if found is None:
                raise NotFoundError(f"no invitation has the id {invitation_id[:80]!r}")
            if not Accounts.set_invitation_in(tx, found.id, "revoked", now):
                raise InvitationStateError(
                    f"the invitation is {found.status}, not pending: nothing to revoke",
                    f"invitation_{found.status}",
                )
            Accounts.revoke_tokens_in(tx, found.id, (INVITE,), now)
            tx.emit(InvitationRevoked(now, found.id, found.email, found.client_id))
            return replace(found, status="revoked", revoked=now)

        return await self.accounts.writer.run(job)

    def peek(self, token: object) -> InvitationRecord:
        """The invitation a token opens, if it can be accepted now; changes nothing (GET)."""
        if not isinstance(token, str) or not token:
            raise InvalidInputError("token is required: the token from the link", "token")
        token_hash = self.parts.codec.read(token, INVITE)
        record = judge(self.accounts.token(token_hash), self.parts.clock.now(), what="invitation")
        return self.get(record.subject)

    async def accept(self, token: object, password: object, *, name: object = None) -> Accepted:
        """Create the invitee's account (its address confirmed by the invitation) and send the
        welcome email. Neither the invitation email nor anything else is re-sent."""
        invitation = self.peek(token)
        assert isinstance(token, str)
        token_hash = self.parts.codec.read(token, INVITE)
        display = check_name(name) or invitation.recipient_name
        password_hash = await self.parts.hasher.hash(check_password(password))
        now = self.parts.clock.now()
        user = UserRecord(
            id=self.parts.new_id(),
            email=invitation.email,
            name=display,
            verified=True,
            client_id=invitation.client_id,
            source="invitation",
            created=now,
            updated=now,
            welcomed=None,
            password_hash=password_hash,
        )

        def job(tx: Tx) -> tuple[InvitationRecord, bool]:
            judge(Accounts.token_in(tx, token_hash), now, what="invitation")
            if Accounts.user_by_email_in(tx, invitation.email) is not None:
                raise AccountExistsError(
                    f"{invitation.email} already has an account: sign in instead", field="token"
                )
            if not Accounts.use_token_in(tx, token_hash, now):
                raise TokenError("this invitation was already used", "token_used", "token")
            Accounts.add_user_in(tx, user)
            Accounts.set_invitation_in(tx, invitation.id, "accepted", now, user.id)
            claimed = Accounts.claim_welcome_in(tx, user.id, now)
            tx.emit(UserCreated(now, user.id, user.email, display, user.client_id, "invitation"))
            tx.emit(InvitationAccepted(now, invitation.id, user.id, user.email, user.client_id))
            accepted = replace(invitation, status="accepted", accepted=now, user_id=user.id)
            return accepted, claimed

        accepted, claimed = await self.accounts.writer.run(job)
        welcome = None
        if claimed:
            concept = renderer.Welcome(
                sign_in_url=self.parts.sign_in_url(user.client_id), user_name=display
            )
            welcome = await self.parts.send(concept, user.email, user.client_id)
        return Accepted(user, accepted, welcome)

    def _client(self, client_id: object) -> str | None:
        if client_id is None:
            return None
        if not isinstance(client_id, str) or self.parts.tenants.store.client(client_id) is None:
            raise InvalidInputError(f"no client has the id {str(client_id)[:80]!r}", "clientId")
        return client_id
