"""The messages repository: `Messages`, the reads of `MessageReads` plus ingest, delete, read
status and retention through the group-committing writer; and `Retention`, its limits.

Every write emits its event (`MessageStored`, `MessagesDeleted`, `MessagesUpdated`), published
on the bus once the transaction holding it has committed. The steps a write runs inside its
transaction are in `message_rows`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mailyard.sandbox.clock import Clock
from mailyard.sandbox.events import MessagesDeleted, MessageStored, MessagesUpdated
from mailyard.sandbox.store import message_rows, search_vocab
from mailyard.sandbox.store.message_reads import MessageReads
from mailyard.sandbox.store.message_rows import chunks, scope
from mailyard.sandbox.store.records import Envelope, Stored, addresses_json, new_id
from mailyard.sandbox.store.writer import Tx, Writer

if TYPE_CHECKING:
    from mailyard.sandbox.mail.summary import Summary

READ_OFF_LOOP = 64 * 1024  # messages larger than this are summarized on a worker thread


@dataclass(frozen=True)
class Retention:
    """Keep at most `max_messages` (0: no limit), none older than `max_age` seconds (0: forever)."""

    max_messages: int = 0
    max_age: float = 0


def _read(raw: bytes, envelope: Envelope) -> tuple[Summary, str]:
    """What is stored beside a message's bytes: its summary and its SHA-256."""
    # The mail reader (mimetree, charsets, html) loads with the first message, not at start.
    from mailyard.sandbox.mail.summary import summarize

    return summarize(raw, list(envelope.rcpt_to)), hashlib.sha256(raw).hexdigest()


class Messages(MessageReads):
    """Every read and write of messages. Reads run on the caller's thread, on the reader."""

    def __init__(
        self,
        reader: Callable[[], sqlite3.Connection],
        writer: Writer,
        clock: Clock,
        retention: Retention = Retention(),
    ) -> None:
        super().__init__(reader, clock)
        self._writer = writer
        self.retention = retention
        self._pruner = search_vocab.Pruner()

    async def ingest(
        self, raw: bytes, envelope: Envelope, summary: Summary | None = None
    ) -> Stored:
        """Store `raw` exactly as received; returns once it is committed (durable, searchable).

        `summary`: what `summarize` would make of `raw`, from a caller that composed `raw`
        itself and knows it without reading it back (the provider emulators: a fifth of a
        send's CPU otherwise); the bytes are still hashed."""
        known: Summary
        if summary is not None and len(raw) <= READ_OFF_LOOP:
            known, digest = summary, hashlib.sha256(raw).hexdigest()
        elif len(raw) > READ_OFF_LOOP:  # 48 MB take ~150 ms to read and hash: not on the loop
            known, digest = await asyncio.to_thread(_read, raw, envelope)
        else:
            known, digest = _read(raw, envelope)
        # Writing and indexing 40 MB take ~250 ms: then the transaction runs on a thread too.
        return await self._writer.run(
            lambda tx: self._insert(tx, raw, envelope, known, digest),
            heavy=len(raw) > READ_OFF_LOOP,
        )

    def ingest_sync(self, raw: bytes, envelope: Envelope) -> Stored:
        """`ingest` for callers without an event loop (tests, tools)."""
        summary, digest = _read(raw, envelope)
        return self._writer.call(lambda tx: self._insert(tx, raw, envelope, summary, digest))

    def _insert(
        self, tx: Tx, raw: bytes, envelope: Envelope, summary: Summary, digest: str = ""
    ) -> Stored:
        message_id = new_id()
        created, created_ts = self._clock.stamp()
        cursor = tx.execute(
            "INSERT INTO messages (id, mailbox, source, created, created_ts, mail_from, rcpt_to, "
            "client_addr, helo, auth_user, tls, from_json, to_json, cc_json, bcc_json, "
            "reply_to_json, subject, snippet, message_id, date, size, attachments, sha256, "
            "parse_error, provider_id, provider_json) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
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
                digest or hashlib.sha256(raw).hexdigest(),
                summary.parse_error,
                envelope.provider_id,
                envelope.provider_json,
            ),
        )
        seq = int(cursor.lastrowid or 0)
        # The bytes go in through a blob handle, straight into the pages: bound as a parameter,
        # SQLite copied the value and then the record (issue 9: +2 x a 40 MB message).
        tx.execute("INSERT INTO message_data (seq, raw) VALUES (?, zeroblob(?))", (seq, len(raw)))
        if raw:
            with tx.conn.blobopen("message_data", "raw", seq) as blob:
                blob.write(raw)
        if summary.tags:
            tx.conn.executemany(
                "INSERT OR IGNORE INTO message_tags (seq, tag) VALUES (?, ?)",
                [(seq, tag) for tag in summary.tags],
            )
        # Not a trigger: see migration 0001 for why.
        tx.execute(
            "INSERT INTO mailbox_stats (mailbox, total, unread) VALUES (?, 1, 1) "
            "ON CONFLICT (mailbox) DO UPDATE SET total = total + 1, unread = unread + 1",
            (envelope.mailbox,),
        )
        message_rows.index_message(tx, self._vocabulary, seq, message_id, envelope, summary)
        tx.emit(
            MessageStored(
                seq=seq,
                id=message_id,
                mailbox=envelope.mailbox,
                source=envelope.source,
                mail_from=envelope.mail_from,
                recipients=envelope.rcpt_to,
                subject=summary.subject,
                size=len(raw),
                created=created_ts,
                summary=summary,
                provider_id=envelope.provider_id,
                provider_json=envelope.provider_json,
            )
        )
        if self.retention.max_messages:
            message_rows.prune_to_count(
                tx, self.retention.max_messages, self._vocabulary, self._pruner
            )
        return Stored(seq=seq, id=message_id, mailbox=envelope.mailbox, created=created_ts)

    async def delete(self, ids: Iterable[str] | None = None, mailbox: str | None = None) -> int:
        """Delete the given messages, or every message (of `mailbox`) when `ids` is None."""
        id_list = None if ids is None else list(ids)
        return await self._writer.run(lambda tx: self._delete(tx, id_list, mailbox))

    def _delete(self, tx: Tx, ids: list[str] | None, mailbox: str | None) -> int:
        if ids is not None:
            return message_rows.delete_seqs(
                tx, message_rows.seqs_for_ids(tx, ids, mailbox), self._vocabulary, self._pruner
            )
        if mailbox is None:
            count = int(tx.execute("SELECT count(*) FROM messages").fetchone()[0])
            for table in ("messages", "message_data", "message_tags"):
                tx.execute(f"DELETE FROM {table}")
            from mailyard.sandbox.store import search_index  # see message_rows.index_message

            search_index.clear(tx.conn)
            search_vocab.clear(tx.conn)
            self._vocabulary.forget()
            tx.execute("DELETE FROM mailbox_stats")
            tx.emit(MessagesDeleted(None, None, "truncate"))
            return count
        seqs = [r[0] for r in tx.execute("SELECT seq FROM messages WHERE mailbox = ?", (mailbox,))]
        return message_rows.delete_seqs(tx, seqs, self._vocabulary, self._pruner)

    async def delete_matching(
        self, query: str, mailbox: str | None = None, tz: str | None = None
    ) -> int:
        """Delete every message matching `query` (a bad query raises before anything changes)."""
        self.check_query(query, tz)

        def job(tx: Tx) -> int:
            return message_rows.delete_seqs(
                tx,
                message_rows.matching(tx, self._plan(query, mailbox, tz, tx.conn)),
                self._vocabulary,
                self._pruner,
            )

        return await self._writer.run(job)

    async def set_read(
        self,
        read: bool,
        ids: list[str] | None = None,
        query: str | None = None,
        mailbox: str | None = None,
        tz: str | None = None,
    ) -> int:
        """Mark the given IDs, or the matches of `query`, or everything (of `mailbox`)."""
        if query and not ids:
            self.check_query(query, tz)
        return await self._writer.run(
            lambda tx: self._set_read(tx, read, ids, query if not ids else None, mailbox, tz)
        )

    def _set_read(
        self,
        tx: Tx,
        read: bool,
        ids: list[str] | None,
        query: str | None,
        mailbox: str | None,
        tz: str | None,
    ) -> int:
        if ids:
            seqs = message_rows.seqs_for_ids(tx, ids, mailbox)
        elif query:
            seqs = message_rows.matching(tx, self._plan(query, mailbox, tz, tx.conn))
        else:
            where, params = scope(mailbox, "m.read != ?", (int(read),))
            changed = tx.execute(
                f"UPDATE messages AS m SET read = ? WHERE {where}", (int(read), *params)
            ).rowcount
            if changed:
                tx.emit(MessagesUpdated(None, mailbox, read=read))
            return int(changed)
        changed = 0
        for chunk in chunks(seqs):
            marks = ",".join("?" * len(chunk))
            changed += tx.execute(
                f"UPDATE messages SET read = ? WHERE seq IN ({marks}) AND read != ?",
                (int(read), *chunk, int(read)),
            ).rowcount
        if changed:
            tx.emit(MessagesUpdated(tuple(message_rows.ids_of(tx, seqs)), mailbox, read=read))
        return changed

    async def prune_by_age(self) -> int:
        """Delete messages older than the retention's `max_age`."""
        if not self.retention.max_age:
            return 0
        cutoff = self._clock.now() - self.retention.max_age

        def job(tx: Tx) -> int:
            seqs = [
                r[0] for r in tx.execute("SELECT seq FROM messages WHERE created_ts < ?", (cutoff,))
            ]
            return message_rows.delete_seqs(
                tx, seqs, self._vocabulary, self._pruner, reason="prune"
            )

        return await self._writer.run(job)
