"""The provider emulators' repository: SES objects as JSON documents per mailbox, Resend's
idempotency keys, and Resend emails held until their `scheduled_at`.

    emulation = Emulation(store.reader, store.writer)
    await emulation.create("AKID", "template", "otp", {...})   # False if it already exists
    emulation.get("AKID", "template", "otp")

SES objects (identities, templates, configuration sets, the account) are plain documents: the
emulator owns their shapes, and a document store keeps this repository one concept instead of a
table per SES resource. Reads run on the reader connection; writes go through the writer.
"""

from __future__ import annotations

import json
import sqlite3
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mailyard.sandbox.store.records import Envelope
from mailyard.sandbox.store.writer import Tx, Writer

Json = dict[str, Any]
IDEMPOTENCY_WINDOW = 86400.0  # Resend keeps a key 24 hours
MAX_LIST = 1000
CACHE = 10_000

SCHEDULED, CANCELED, SENT = "scheduled", "canceled", "sent"


@dataclass(frozen=True)
class Document:
    """One SES object: its key, its JSON, when it was created."""

    name: str
    body: Json
    created: float


@dataclass(frozen=True)
class ScheduledEmail:
    """A Resend email waiting for its time: the message as it will be stored, and what
    `GET /emails/{id}` shows of it meanwhile (`email`)."""

    id: str
    mailbox: str
    due: float
    state: str  # scheduled | canceled | sent
    raw: bytes
    envelope: Envelope
    email: Json
    created: float


def _envelope_json(envelope: Envelope) -> str:
    return json.dumps(
        {
            "mail_from": envelope.mail_from,
            "rcpt_to": list(envelope.rcpt_to),
            "mailbox": envelope.mailbox,
            "source": envelope.source,
            "client_addr": envelope.client_addr,
            "provider_id": envelope.provider_id,
            "provider_json": envelope.provider_json,
        }
    )


def _envelope(text: str) -> Envelope:
    data = json.loads(text)
    return Envelope(
        mail_from=data["mail_from"],
        rcpt_to=tuple(data["rcpt_to"]),
        mailbox=data["mailbox"],
        source=data["source"],
        client_addr=data["client_addr"],
        provider_id=data["provider_id"],
        provider_json=data["provider_json"],
    )


def _scheduled(row: sqlite3.Row) -> ScheduledEmail:
    return ScheduledEmail(
        id=row["id"],
        mailbox=row["mailbox"],
        due=float(row["due"]),
        state=row["state"],
        raw=bytes(row["raw"]),
        envelope=_envelope(row["envelope"]),
        email=json.loads(row["email"]),
        created=float(row["created"]),
    )


_SCHEDULED_COLUMNS = "id, mailbox, due, state, raw, envelope, email, created"


class Emulation:
    """SES documents, Resend idempotency keys and scheduled emails.

    Every send reads the account's settings and often a configuration set or an identity, so
    documents are cached (up to CACHE of them, the least recently used dropped first). The cache
    stays true because this repository is the only writer of its table: each write replaces the
    cached entry once its transaction has committed.
    """

    def __init__(self, reader: Callable[[], sqlite3.Connection], writer: Writer) -> None:
        self._reader = reader
        self._writer = writer
        self._cache: OrderedDict[tuple[str, str, str], str | None] = OrderedDict()

    # -- SES documents ----------------------------------------------------------------------

    def get(self, mailbox: str, kind: str, name: str) -> Json | None:
        """The document, or None; a fresh copy each time (callers may change it)."""
        key = (mailbox, kind, name)
        if key in self._cache:
            self._cache.move_to_end(key)
            text = self._cache[key]
        else:
            row = (
                self._reader()
                .execute(
                    "SELECT body FROM emulation_objects "
                    "WHERE mailbox = ? AND kind = ? AND name = ?",
                    key,
                )
                .fetchone()
            )
            text = str(row[0]) if row else None
            self._remember(key, text)
        return dict(json.loads(text)) if text is not None else None

    def _remember(self, key: tuple[str, str, str], text: str | None) -> None:
        self._cache[key] = text
        self._cache.move_to_end(key)
        while len(self._cache) > CACHE:
            self._cache.popitem(last=False)

    def documents(
        self, mailbox: str, kind: str, *, after: str = "", limit: int = MAX_LIST
    ) -> list[Document]:
        """The mailbox's documents of `kind` in name order, from just after `after`."""
        rows = self._reader().execute(
            "SELECT name, body, created FROM emulation_objects "
            "WHERE mailbox = ? AND kind = ? AND name > ? ORDER BY name LIMIT ?",
            (mailbox, kind, after, min(limit, MAX_LIST)),
        )
        return [Document(r[0], json.loads(r[1]), float(r[2])) for r in rows]

    def all_documents(self, kind: str, *, limit: int = MAX_LIST) -> list[Document]:
        """Documents of `kind` in every mailbox, by name (the compatibility routes' one store)."""
        rows = self._reader().execute(
            "SELECT name, body, created FROM emulation_objects WHERE kind = ? "
            "ORDER BY name, mailbox LIMIT ?",
            (kind, limit),
        )
        return [Document(r[0], json.loads(r[1]), float(r[2])) for r in rows]

    async def delete_all(self, kind: str) -> int:
        """Forget every document of `kind`, in every mailbox."""

        def job(tx: Tx) -> int:
            return int(tx.execute("DELETE FROM emulation_objects WHERE kind = ?", (kind,)).rowcount)

        deleted = await self._writer.run(job)
        for key in [k for k in self._cache if k[1] == kind]:
            self._cache[key] = None
        return deleted

    async def create(self, mailbox: str, kind: str, name: str, body: Json, now: float) -> bool:
        """Add a document; False (nothing changed) if one of that name exists."""
        text = json.dumps(body)

        def job(tx: Tx) -> bool:
            cursor = tx.execute(
                "INSERT OR IGNORE INTO emulation_objects (mailbox, kind, name, body, created) "
                "VALUES (?, ?, ?, ?, ?)",
                (mailbox, kind, name, text, now),
            )
            return cursor.rowcount == 1

        created = await self._writer.run(job)
        if created:
            self._remember((mailbox, kind, name), text)
        return created

    async def replace(self, mailbox: str, kind: str, name: str, body: Json) -> bool:
        """Change an existing document; False if there is none of that name."""
        text = json.dumps(body)

        def job(tx: Tx) -> bool:
            cursor = tx.execute(
                "UPDATE emulation_objects SET body = ? WHERE mailbox = ? AND kind = ? AND name = ?",
                (text, mailbox, kind, name),
            )
            return cursor.rowcount == 1

        replaced = await self._writer.run(job)
        if replaced:
            self._remember((mailbox, kind, name), text)
        return replaced

    async def put(self, mailbox: str, kind: str, name: str, body: Json, now: float) -> None:
        """Add or replace (the account's settings: there is always one)."""
        text = json.dumps(body)
        await self._writer.run(
            lambda tx: tx.execute(
                "INSERT INTO emulation_objects (mailbox, kind, name, body, created) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (mailbox, kind, name) DO UPDATE SET "
                "body = excluded.body",
                (mailbox, kind, name, text, now),
            )
        )
        self._remember((mailbox, kind, name), text)

    async def delete(self, mailbox: str, kind: str, name: str) -> bool:
        def job(tx: Tx) -> bool:
            cursor = tx.execute(
                "DELETE FROM emulation_objects WHERE mailbox = ? AND kind = ? AND name = ?",
                (mailbox, kind, name),
            )
            return cursor.rowcount == 1

        deleted = await self._writer.run(job)
        self._remember((mailbox, kind, name), None)
        return deleted

    # -- messages sent through an emulator ----------------------------------------------------

    def message_for(self, provider_id: str, mailbox: str | None = None) -> tuple[int, str] | None:
        """(seq, mailyard id) of the stored message with this provider id (SES's MessageId,
        Resend's email id), in `mailbox` if given."""
        sql = "SELECT seq, id FROM messages WHERE provider_id = ?"
        params: tuple[str, ...] = (provider_id,)
        if mailbox is not None:
            sql, params = sql + " AND mailbox = ?", (provider_id, mailbox)
        row = self._reader().execute(sql + " ORDER BY seq LIMIT 1", params).fetchone()
        return (int(row[0]), str(row[1])) if row else None

    def provider_messages(
        self, sources: tuple[str, ...], provider_id: str | None = None, *, limit: int = MAX_LIST
    ) -> list[tuple[int, str]]:
        """(seq, mailyard id) of the newest `limit` messages that came from these sources (or
        the one with `provider_id`), oldest first."""
        marks = ",".join("?" * len(sources))
        sql = f"SELECT seq, id FROM messages WHERE source IN ({marks})"
        params: tuple[object, ...] = sources
        if provider_id is not None:
            sql, params = sql + " AND provider_id = ?", (*sources, provider_id)
        rows = self._reader().execute(sql + " ORDER BY seq DESC LIMIT ?", (*params, limit))
        return [(int(r[0]), str(r[1])) for r in reversed(rows.fetchall())]

    def provider_id_of(self, message_id: str) -> str:
        """The provider id of mailyard's message `message_id` ('' if none or gone)."""
        row = (
            self._reader()
            .execute("SELECT provider_id FROM messages WHERE id = ?", (message_id,))
            .fetchone()
        )
        return str(row[0]) if row else ""

    # -- Resend's idempotency keys ------------------------------------------------------------

    def idempotent(self, mailbox: str, key: str, now: float) -> tuple[str, str] | None:
        """(request digest, response) remembered for the key within the last 24 hours."""
        row = (
            self._reader()
            .execute(
                "SELECT digest, response FROM resend_idempotency "
                "WHERE mailbox = ? AND key = ? AND created > ?",
                (mailbox, key, now - IDEMPOTENCY_WINDOW),
            )
            .fetchone()
        )
        return (str(row[0]), str(row[1])) if row else None

    async def remember(
        self, mailbox: str, key: str, digest: str, response: str, now: float
    ) -> None:
        """Keep the answer for the key (replacing an expired one); forget expired keys."""

        def job(tx: Tx) -> None:
            tx.execute(
                "DELETE FROM resend_idempotency WHERE created <= ?", (now - IDEMPOTENCY_WINDOW,)
            )
            tx.execute(
                "INSERT OR REPLACE INTO resend_idempotency (mailbox, key, digest, response, "
                "created) VALUES (?, ?, ?, ?, ?)",
                (mailbox, key, digest, response, now),
            )

        await self._writer.run(job)

    # -- Resend's scheduled emails ------------------------------------------------------------

    async def schedule(self, email: ScheduledEmail) -> None:
        await self._writer.run(
            lambda tx: tx.execute(
                f"INSERT INTO resend_scheduled ({_SCHEDULED_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)",
                (
                    email.id,
                    email.mailbox,
                    email.due,
                    email.state,
                    email.raw,
                    _envelope_json(email.envelope),
                    json.dumps(email.email),
                    email.created,
                ),
            )
        )

    def scheduled(self, email_id: str, mailbox: str | None = None) -> ScheduledEmail | None:
        row = (
            self._reader()
            .execute(f"SELECT {_SCHEDULED_COLUMNS} FROM resend_scheduled WHERE id = ?", (email_id,))
            .fetchone()
        )
        if row is None or (mailbox is not None and row["mailbox"] != mailbox):
            return None
        return _scheduled(row)

    def pending(self) -> list[ScheduledEmail]:
        """Every email still waiting, soonest first (to re-arm timers after a restart)."""
        rows = self._reader().execute(
            f"SELECT {_SCHEDULED_COLUMNS} FROM resend_scheduled WHERE state = ? ORDER BY due",
            (SCHEDULED,),
        )
        return [_scheduled(r) for r in rows]

    async def set_state(
        self,
        email_id: str,
        state: str,
        *,
        due: float | None = None,
        email: Json | None = None,
        raw: bytes | None = None,
    ) -> bool:
        """Move a still-scheduled email to `state` (or give it a new time, view and message);
        False if it is no longer scheduled (sent or canceled meanwhile)."""

        def job(tx: Tx) -> bool:
            cursor = tx.execute(
                "UPDATE resend_scheduled SET state = ?, due = coalesce(?, due), "
                "email = coalesce(?, email), raw = coalesce(?, raw) WHERE id = ? AND state = ?",
                (state, due, json.dumps(email) if email else None, raw, email_id, SCHEDULED),
            )
            return cursor.rowcount == 1

        return await self._writer.run(job)
