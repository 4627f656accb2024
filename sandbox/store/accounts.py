"""The reference auth service's accounts: users, single-use tokens (as hashes) and invitations.

Reads run on the reader connection. Writes are helpers that take the writer's `Tx` (`*_in`), so
a flow composes one job out of several of them and they commit, or roll back, together: a reset
consumes its token and sets the password in one transaction, never one without the other. The
rules (is this token usable? which error?) live in `sandbox.auth`; this module only stores.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from mailyard.sandbox.store.writer import Tx, Writer

MAX_LIST = 1000


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def email_key(address: str) -> str:
    """The address as accounts compare it: one account per address, whatever its case."""
    return address.strip().lower()


@dataclass(frozen=True)
class UserRecord:
    id: str
    email: str
    name: str | None
    verified: bool
    client_id: str | None
    source: str  # signup | invitation
    created: float
    updated: float
    welcomed: float | None
    password_hash: str | None = field(default=None, repr=False)

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "email": self.email,
            "name": self.name,
            "emailVerified": self.verified,
            "clientId": self.client_id,
            "source": self.source,
            "createdAt": _iso(self.created),
            "welcomed": self.welcomed is not None,
        }


@dataclass(frozen=True)
class TokenRecord:
    hash: str
    kind: str
    subject: str  # the user's id, or the invitation's
    created: float
    expires: float
    used: float | None
    revoked: float | None
    attempts: int


@dataclass(frozen=True)
class InvitationRecord:
    id: str
    email: str
    recipient_name: str | None
    inviter_name: str
    client_id: str | None
    status: str  # pending | accepted | revoked
    expires: float
    created: float
    accepted: float | None
    revoked: float | None
    user_id: str | None


def _user(row: sqlite3.Row) -> UserRecord:
    return UserRecord(
        id=row["id"],
        email=row["email"],
        name=row["name"],
        verified=bool(row["verified"]),
        client_id=row["client_id"],
        source=row["source"],
        created=float(row["created"]),
        updated=float(row["updated"]),
        welcomed=row["welcomed"],
        password_hash=row["password_hash"],
    )


def _token(row: sqlite3.Row) -> TokenRecord:
    return TokenRecord(
        hash=row["hash"],
        kind=row["kind"],
        subject=row["subject"],
        created=float(row["created"]),
        expires=float(row["expires"]),
        used=row["used"],
        revoked=row["revoked"],
        attempts=int(row["attempts"]),
    )


def _invitation(row: sqlite3.Row) -> InvitationRecord:
    return InvitationRecord(
        id=row["id"],
        email=row["email"],
        recipient_name=row["recipient_name"],
        inviter_name=row["inviter_name"],
        client_id=row["client_id"],
        status=row["status"],
        expires=float(row["expires"]),
        created=float(row["created"]),
        accepted=row["accepted"],
        revoked=row["revoked"],
        user_id=row["user_id"],
    )


class Accounts:
    """Users, tokens and invitations in the store's database."""

    def __init__(self, reader: Callable[[], sqlite3.Connection], writer: Writer) -> None:
        self._reader = reader
        self.writer = writer

    def token_key(self) -> bytes:
        """The per-install key of token tags and code hashes (made by the migration)."""
        row = self._reader().execute("SELECT value FROM meta WHERE key = 'auth_token_key'")
        found = row.fetchone()
        return bytes(found[0]) if found else b""

    # -- users ------------------------------------------------------------------------------

    def user(self, user_id: str) -> UserRecord | None:
        row = self._reader().execute("SELECT * FROM auth_users WHERE id = ?", (user_id,))
        found = row.fetchone()
        return _user(found) if found else None

    def user_by_email(self, address: str) -> UserRecord | None:
        row = self._reader().execute(
            "SELECT * FROM auth_users WHERE email_key = ?", (email_key(address),)
        )
        found = row.fetchone()
        return _user(found) if found else None

    def users(self, *, limit: int = 100, offset: int = 0) -> list[UserRecord]:
        rows = self._reader().execute(
            "SELECT * FROM auth_users ORDER BY created DESC, id LIMIT ? OFFSET ?",
            (min(limit, MAX_LIST), offset),
        )
        return [_user(row) for row in rows]

    @staticmethod
    def user_in(tx: Tx, user_id: str) -> UserRecord | None:
        found = tx.execute("SELECT * FROM auth_users WHERE id = ?", (user_id,)).fetchone()
        return _user(found) if found else None

    @staticmethod
    def user_by_email_in(tx: Tx, address: str) -> UserRecord | None:
        found = tx.execute(
            "SELECT * FROM auth_users WHERE email_key = ?", (email_key(address),)
        ).fetchone()
        return _user(found) if found else None

    @staticmethod
    def add_user_in(tx: Tx, user: UserRecord) -> None:
        tx.execute(
            "INSERT INTO auth_users (id, email, email_key, name, password_hash, verified, "
            "client_id, source, created, updated, welcomed) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                user.id,
                user.email,
                email_key(user.email),
                user.name,
                user.password_hash,
                int(user.verified),
                user.client_id,
                user.source,
                user.created,
                user.updated,
                user.welcomed,
            ),
        )

    @staticmethod
    def set_password_in(tx: Tx, user_id: str, password_hash: str, now: float) -> None:
        tx.execute(
            "UPDATE auth_users SET password_hash = ?, updated = ? WHERE id = ?",
            (password_hash, now, user_id),
        )

    @staticmethod
    def set_verified_in(tx: Tx, user_id: str, now: float) -> bool:
        """Mark the address confirmed; True if it was not confirmed before."""
        cursor = tx.execute(
            "UPDATE auth_users SET verified = 1, updated = ? WHERE id = ? AND verified = 0",
            (now, user_id),
        )
        return cursor.rowcount == 1

    @staticmethod
    def claim_welcome_in(tx: Tx, user_id: str, now: float) -> bool:
        """True once per user: whoever gets True sends the welcome email."""
        cursor = tx.execute(
            "UPDATE auth_users SET welcomed = ? WHERE id = ? AND welcomed IS NULL", (now, user_id)
        )
        return cursor.rowcount == 1

    # -- tokens -----------------------------------------------------------------------------

    def token(self, token_hash: str) -> TokenRecord | None:
        row = self._reader().execute("SELECT * FROM auth_tokens WHERE hash = ?", (token_hash,))
        found = row.fetchone()
        return _token(found) if found else None

    def live_token(self, subject: str, kind: str, now: float) -> TokenRecord | None:
        """The newest unused, unrevoked, unexpired token of `kind` for `subject`."""
        row = self._reader().execute(
            "SELECT * FROM auth_tokens WHERE subject = ? AND kind = ? AND used IS NULL "
            "AND revoked IS NULL AND expires > ? ORDER BY created DESC LIMIT 1",
            (subject, kind, now),
        )
        found = row.fetchone()
        return _token(found) if found else None

    @staticmethod
    def token_in(tx: Tx, token_hash: str) -> TokenRecord | None:
        found = tx.execute("SELECT * FROM auth_tokens WHERE hash = ?", (token_hash,)).fetchone()
        return _token(found) if found else None

    @staticmethod
    def add_token_in(tx: Tx, token: TokenRecord) -> None:
        tx.execute(
            "INSERT INTO auth_tokens (hash, kind, subject, created, expires) VALUES (?,?,?,?,?)",
            (token.hash, token.kind, token.subject, token.created, token.expires),
        )

    @staticmethod
    def use_token_in(tx: Tx, token_hash: str, now: float) -> bool:
        """Mark a token used; False if it was already used or revoked (a concurrent use)."""
        cursor = tx.execute(
            "UPDATE auth_tokens SET used = ? WHERE hash = ? AND used IS NULL AND revoked IS NULL",
            (now, token_hash),
        )
        return cursor.rowcount == 1

    @staticmethod
    def revoke_tokens_in(tx: Tx, subject: str, kinds: tuple[str, ...], now: float) -> int:
        """Revoke every live token of these kinds for `subject` (a newer one supersedes them)."""
        marks = ",".join("?" * len(kinds))
        cursor = tx.execute(
            f"UPDATE auth_tokens SET revoked = ? WHERE subject = ? AND kind IN ({marks}) "
            "AND used IS NULL AND revoked IS NULL",
            (now, subject, *kinds),
        )
        return cursor.rowcount

    @staticmethod
    def count_attempt_in(tx: Tx, token_hash: str) -> int:
        """One more wrong guess of a code; returns the count so far."""
        tx.execute("UPDATE auth_tokens SET attempts = attempts + 1 WHERE hash = ?", (token_hash,))
        row = tx.execute("SELECT attempts FROM auth_tokens WHERE hash = ?", (token_hash,))
        found = row.fetchone()
        return int(found[0]) if found else 0

    # -- invitations ------------------------------------------------------------------------

    def invitation(self, invitation_id: str) -> InvitationRecord | None:
        row = self._reader().execute(
            "SELECT * FROM auth_invitations WHERE id = ?", (invitation_id,)
        )
        found = row.fetchone()
        return _invitation(found) if found else None

    def invitations(
        self, *, status: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[InvitationRecord]:
        where, params = ("WHERE status = ?", (status,)) if status else ("", ())
        rows = self._reader().execute(
            f"SELECT * FROM auth_invitations {where} ORDER BY created DESC, id LIMIT ? OFFSET ?",
            (*params, min(limit, MAX_LIST), offset),
        )
        return [_invitation(row) for row in rows]

    @staticmethod
    def invitation_in(tx: Tx, invitation_id: str) -> InvitationRecord | None:
        found = tx.execute(
            "SELECT * FROM auth_invitations WHERE id = ?", (invitation_id,)
        ).fetchone()
        return _invitation(found) if found else None

    @staticmethod
    def pending_invitations_in(tx: Tx, address: str) -> list[InvitationRecord]:
        rows = tx.execute(
            "SELECT * FROM auth_invitations WHERE email_key = ? AND status = 'pending'",
            (email_key(address),),
        )
        return [_invitation(row) for row in rows]

    @staticmethod
    def add_invitation_in(tx: Tx, invitation: InvitationRecord, token_hash: str) -> None:
        tx.execute(
            "INSERT INTO auth_invitations (id, email, email_key, recipient_name, inviter_name, "
            "client_id, token_hash, status, expires, created) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                invitation.id,
                invitation.email,
                email_key(invitation.email),
                invitation.recipient_name,
                invitation.inviter_name,
                invitation.client_id,
                token_hash,
                invitation.status,
                invitation.expires,
                invitation.created,
            ),
        )

    @staticmethod
    def set_invitation_in(
        tx: Tx, invitation_id: str, status: str, now: float, user_id: str | None = None
    ) -> bool:
        """Move a pending invitation to `accepted` or `revoked`; False if it was not pending."""
        column = "accepted" if status == "accepted" else "revoked"
        cursor = tx.execute(
            f"UPDATE auth_invitations SET status = ?, {column} = ?, user_id = ? "
            "WHERE id = ? AND status = 'pending'",
            (status, now, user_id, invitation_id),
        )
        return cursor.rowcount == 1
