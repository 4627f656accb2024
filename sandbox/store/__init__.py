"""The message store: one SQLite file in WAL mode, raw bytes as the truth, summaries beside them.

Writes go through the single group-committing `Writer` on the event loop; reads use their own
connection (WAL lets them run beside the writer); a checkpointer thread folds the WAL back.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from mailyard.sandbox.errors import StoreError
from mailyard.sandbox.mail.summary import Address, Summary, summarize
from mailyard.sandbox.store import queries
from mailyard.sandbox.store.migrate import migrate
from mailyard.sandbox.store.records import Envelope, Stored, addresses_json, new_id, utc_now
from mailyard.sandbox.store.search import index_text
from mailyard.sandbox.store.writer import Checkpointer, Writer

log = logging.getLogger("mailyard.store")

SYNC_MODES = ("OFF", "NORMAL", "FULL")


@dataclass(frozen=True)
class Retention:
    """Keep at most `max_messages` (0: no limit), none older than `max_age` seconds (0: forever)."""

    max_messages: int = 0
    max_age: float = 0


class Store:
    """Opens, migrates and closes the database; holds the writer and the read connection."""

    def __init__(
        self,
        path: str,
        *,
        synchronous: str = "NORMAL",
        retention: Retention = Retention(),
        max_pages: int | None = None,
        on_commit: Callable[[list[Stored]], None] | None = None,
    ) -> None:
        if synchronous.upper() not in SYNC_MODES:
            raise ValueError(f"synchronous must be one of {', '.join(SYNC_MODES)}")
        self.requested_path = path
        self.synchronous = synchronous.upper()
        self.retention = retention
        self._max_pages = max_pages
        self._on_commit = on_commit
        self._tempdir: str | None = None
        self.path = path
        self._reader: sqlite3.Connection | None = None
        # Keys recipients' hashes in the send log: random per install, kept in the database.
        self.log_key = b""
        self.writer = Writer(self._connect_writer, self._after_commit)
        self._checkpointer = Checkpointer(self._connect)

    # -- lifecycle --------------------------------------------------------------------------

    def open(self) -> None:
        if self.requested_path == ":memory:":
            # A throw-away store still needs two connections (writer thread, readers), which a
            # true in-memory database cannot share in WAL mode: use a file deleted on close.
            self._tempdir = tempfile.mkdtemp(prefix="mailyard-")
            self.path = os.path.join(self._tempdir, "mailyard.db")
        else:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.writer.start()
        self._checkpointer.start()
        self._reader = self._connect(query_only=True)
        check = self._reader.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise StoreError(f"the database {self.path} is damaged: {check}")

    def close(self) -> None:
        self.writer.stop()
        self._checkpointer.stop()
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None

    def __enter__(self) -> Store:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _connect(self, query_only: bool = False) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute(f"PRAGMA synchronous = {self.synchronous}")
        if query_only:
            conn.execute("PRAGMA query_only = 1")
        return conn

    def _connect_writer(self) -> sqlite3.Connection:
        conn = self._connect()
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            log.warning("WAL mode is not available for %s (journal mode %s)", self.path, mode)
        # Checkpoints (and their fsyncs) run on the checkpointer's thread, not in a commit.
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        if self._max_pages:
            conn.execute(f"PRAGMA max_page_count = {int(self._max_pages)}")
        migrate(conn)
        conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('log_hmac_key', randomblob(32))"
        )
        self.log_key = bytes(
            conn.execute("SELECT value FROM meta WHERE key = 'log_hmac_key'").fetchone()[0]
        )
        return conn

    @property
    def reader(self) -> sqlite3.Connection:
        if self._reader is None:
            raise StoreError("the store is closed")
        return self._reader

    def _after_commit(self, values: list[object]) -> None:
        stored = [v for v in values if isinstance(v, Stored)]
        if self._on_commit is not None:
            self._on_commit(stored)

    # -- writes -----------------------------------------------------------------------------

    async def ingest(self, raw: bytes, envelope: Envelope) -> Stored:
        """Store `raw` exactly as received; returns once it is committed (durable, searchable)."""
        return await self.writer.run(lambda conn: self._insert(conn, raw, envelope))

    def ingest_sync(self, raw: bytes, envelope: Envelope) -> Stored:
        return self.writer.call(lambda conn: self._insert(conn, raw, envelope))

    def _insert(self, conn: sqlite3.Connection, raw: bytes, envelope: Envelope) -> Stored:
        summary = summarize(raw, list(envelope.rcpt_to))
        message_id = new_id()
        created, created_ts = utc_now()
        cursor = conn.execute(
            "INSERT INTO messages (id, mailbox, source, created, created_ts, mail_from, rcpt_to, "
            "client_addr, helo, auth_user, tls, from_json, to_json, cc_json, bcc_json, "
            "reply_to_json, subject, snippet, message_id, date, size, attachments, sha256, "
            "parse_error) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                message_id,
                envelope.mailbox,
                envelope.source,
                created,
                created_ts,
                envelope.mail_from,
                json.dumps(list(envelope.rcpt_to), ensure_ascii=False),
                envelope.client_addr,
                envelope.helo,
                envelope.auth_user,
                int(envelope.tls),
                addresses_json([summary.sender])[1:-1] if summary.sender else None,
                addresses_json(summary.to),
                addresses_json(summary.cc),
                addresses_json(summary.bcc),
                addresses_json(summary.reply_to),
                summary.subject,
                summary.snippet,
                summary.message_id,
                summary.date,
                len(raw),
                summary.attachments,
                hashlib.sha256(raw).hexdigest(),
                summary.parse_error,
            ),
        )
        seq = int(cursor.lastrowid or 0)
        conn.execute("INSERT INTO message_data (seq, raw) VALUES (?, ?)", (seq, raw))
        if summary.tags:
            conn.executemany(
                "INSERT OR IGNORE INTO message_tags (seq, tag) VALUES (?, ?)",
                [(seq, tag) for tag in summary.tags],
            )
        # Not a trigger: see migration 0001 for why.
        conn.execute(
            "INSERT INTO mailbox_stats (mailbox, total, unread) VALUES (?, 1, 1) "
            "ON CONFLICT (mailbox) DO UPDATE SET total = total + 1, unread = unread + 1",
            (envelope.mailbox,),
        )
        conn.execute(
            "INSERT INTO messages_fts (rowid, subject, from_, to_, cc, bcc, reply_to, "
            "message_id, body) VALUES (?,?,?,?,?,?,?,?,?)",
            (seq, *_search_columns(summary)),
        )
        if self.retention.max_messages:
            queries.prune_to_count(conn, self.retention.max_messages)
        return Stored(seq=seq, id=message_id, mailbox=envelope.mailbox)

    async def delete(self, ids: Iterable[str] | None = None, mailbox: str | None = None) -> int:
        """Delete the given messages, or every message (of `mailbox`) when `ids` is None."""
        id_list = None if ids is None else list(ids)
        return await self.writer.run(lambda conn: queries.delete(conn, id_list, mailbox))

    async def delete_matching(self, query: str, mailbox: str | None, tz: str | None) -> int:
        return await self.writer.run(lambda conn: queries.delete_matching(conn, query, mailbox, tz))

    async def set_read(
        self,
        read: bool,
        ids: list[str] | None,
        query: str | None,
        mailbox: str | None,
        tz: str | None = None,
    ) -> int:
        return await self.writer.run(
            lambda conn: queries.set_read(conn, read, ids, query, mailbox, tz)
        )

    async def set_tags(self, ids: list[str], tags: list[str]) -> int:
        return await self.writer.run(lambda conn: queries.set_tags(conn, ids, tags))

    async def rename_tag(self, old: str, new: str) -> int:
        return await self.writer.run(lambda conn: queries.rename_tag(conn, old, new))

    async def delete_tag(self, tag: str) -> int:
        return await self.writer.run(lambda conn: queries.delete_tag(conn, tag))

    async def record_send(self, entry: dict[str, object]) -> int:
        """Append a mailer outcome to `send_log`."""
        return await self.writer.run(lambda conn: queries.record_send(conn, entry))

    async def prune_by_age(self) -> int:
        if not self.retention.max_age:
            return 0
        max_age = self.retention.max_age
        return await self.writer.run(lambda conn: queries.prune_by_age(conn, max_age))


def _search_columns(summary: Summary) -> tuple[str, ...]:
    def people(addresses: Iterable[Address]) -> str:
        return index_text(" ".join(f"{a.name} <{a.address}>" for a in addresses))

    sender = [summary.sender] if summary.sender else []
    return (
        index_text(summary.subject),
        people(sender),
        people(summary.to),
        people(summary.cc),
        people(summary.bcc),
        people(summary.reply_to),
        index_text(summary.message_id),
        index_text(summary.body_text),
    )
