"""The messages repository: listing, search, lookups on the reader connection; ingest, delete,
read status and retention through the group-committing writer.

Every write emits its event (`MessageStored`, `MessagesDeleted`, `MessagesUpdated`), published
on the bus once the transaction holding it has committed.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from mailyard.sandbox.clock import Clock
from mailyard.sandbox.errors import InvalidInputError, NotFoundError
from mailyard.sandbox.events import MessagesDeleted, MessageStored, MessagesUpdated
from mailyard.sandbox.mail.summary import Summary, summarize
from mailyard.sandbox.store import search_index, search_vocab
from mailyard.sandbox.store.matches import Counts, Matches
from mailyard.sandbox.store.records import (
    RECORD_COLUMNS,
    SUMMARY_COLUMNS,
    Envelope,
    MessageRecord,
    MessageSummary,
    Page,
    Stored,
    addresses_json,
    new_id,
    record_from_row,
    summary_from_row,
)
from mailyard.sandbox.store.search import Note, compile_query
from mailyard.sandbox.store.search_plan import plan
from mailyard.sandbox.store.writer import Tx, Writer

READ_OFF_LOOP = 64 * 1024  # messages larger than this are summarized on a worker thread
CHUNK = 500  # SQLite's default limit of bound variables is far above this
MAX_PAGE = 1000


def chunks(items: list[int] | list[str]) -> Iterator[list[int] | list[str]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def scope(
    mailbox: str | None, where: str = "1", params: tuple[object, ...] = ()
) -> tuple[str, tuple[object, ...]]:
    """`where` limited to one mailbox (over `messages m`), or unchanged for all mailboxes."""
    if mailbox is None:
        return where, params
    return f"m.mailbox = ? AND ({where})", (mailbox, *params)


@dataclass(frozen=True)
class Retention:
    """Keep at most `max_messages` (0: no limit), none older than `max_age` seconds (0: forever)."""

    max_messages: int = 0
    max_age: float = 0


def _read(raw: bytes, envelope: Envelope) -> tuple[Summary, str]:
    """What is stored beside a message's bytes: its summary and its SHA-256."""
    return summarize(raw, list(envelope.rcpt_to)), hashlib.sha256(raw).hexdigest()


class Messages:
    """Every read and write of messages. Reads run on the caller's thread, on the reader."""

    def __init__(
        self,
        reader: Callable[[], sqlite3.Connection],
        writer: Writer,
        clock: Clock,
        retention: Retention = Retention(),
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._clock = clock
        self.retention = retention
        self._vocabulary = search_vocab.Vocabulary()
        self._pruner = search_vocab.Pruner()
        self.counts = Counts()  # the counts of recent searches, kept up to date

    # -- reads ------------------------------------------------------------------------------

    @property
    def _conn(self) -> sqlite3.Connection:
        return self._reader()

    def totals(self, mailbox: str | None = None) -> tuple[int, int]:
        """(messages, unread) in `mailbox`, or in every mailbox."""
        if mailbox is None:
            row = self._conn.execute("SELECT sum(total), sum(unread) FROM mailbox_stats").fetchone()
        else:
            row = self._conn.execute(
                "SELECT total, unread FROM mailbox_stats WHERE mailbox = ?", (mailbox,)
            ).fetchone()
        return (int(row[0] or 0), int(row[1] or 0)) if row else (0, 0)

    def cursor(self) -> int:
        """The newest seq ever given out: a position in the store that deletes never move."""
        row = self._conn.execute(
            "SELECT seq FROM sqlite_sequence WHERE name = 'messages'"
        ).fetchone()
        return int(row[0]) if row else 0

    def mailboxes(self) -> dict[str, tuple[int, int]]:
        """Mailbox name -> (messages, unread), for mailboxes holding mail."""
        rows = self._conn.execute(
            "SELECT mailbox, total, unread FROM mailbox_stats WHERE total > 0 ORDER BY mailbox"
        ).fetchall()
        return {r[0]: (int(r[1]), int(r[2])) for r in rows}

    def check_query(self, query: str, tz: str | None = None) -> tuple[Note, ...]:
        """Raise QueryError if `query` cannot be searched for: only past its size bounds, as
        Mailpit refuses no query (`sandbox.store.search`). Otherwise the notes on its terms
        read other than as typed (ignored, or searched as text), for a screen to show."""
        return compile_query(query, tz, now=self._clock.now()).notes

    def _plan(
        self,
        query: str | None,
        mailbox: str | None,
        tz: str | None,
        conn: sqlite3.Connection | None = None,
        created_before: float | None = None,
    ) -> Matches:
        """The matches of `query` in `mailbox`; the vocabulary is read on `conn` (the reader by
        default; a write job passes its own, so that it sees the tokens it would delete)."""
        compiled = compile_query(query or "", tz, now=self._clock.now())
        # A search counts within `created_before`; a listing keeps the mailbox's counts.
        everything = compiled.everything and (created_before is None or not query)
        if created_before is not None:
            compiled = replace(
                compiled,
                where=(*compiled.where, "m.created_ts < ?"),
                params=(*compiled.params, created_before),
            )
        if conn is not None:  # a write job: the tokens of messages inserted before it count
            self._vocabulary.flush(conn)
        found = plan(conn or self._conn, compiled, mailbox)
        return Matches(found, mailbox, everything, self.counts)

    def page(
        self,
        *,
        mailbox: str | None = None,
        start: int = 0,
        limit: int = 50,
        query: str | None = None,
        tz: str | None = None,
        before: int | None = None,
        after: int | None = None,
        created_before: float | None = None,
    ) -> Page:
        """Newest first; with `query`, only the messages matching it, with Mailpit's counts: `count`
        all matches, `count_unread` the unread among them, `total`/`unread` the mailbox's.
        `before`/`after` (seqs) page by key instead of offset, which stays fast however deep a
        reader scrolls; `limit` 0 gives only the counts. `created_before` (Unix seconds) is
        Mailpit's `before=` parameter: only messages received earlier, counted so in a search
        (a listing without a query keeps the mailbox's counts, as Mailpit's does)."""
        if start < 0:
            raise InvalidInputError("start must be 0 or more", "start")
        if not 0 <= limit <= MAX_PAGE:
            raise InvalidInputError(f"limit must be between 0 and {MAX_PAGE}", "limit")
        conn = self._conn
        with _snapshot(conn):
            cursor = self.cursor()
            total, unread = self.totals(mailbox)
            matches = self._plan(query, mailbox, tz, created_before=created_before)
            keys, key_params = [], []
            if before is not None:
                keys.append(f"{matches.order} < ?")
                key_params.append(before)
            if after is not None:
                keys.append(f"{matches.order} > ?")
                key_params.append(after)
            where, params = matches.where
            rows = []
            if limit:
                rows = conn.execute(
                    f"SELECT {SUMMARY_COLUMNS} FROM {matches.source} "
                    f"WHERE {' AND '.join([*keys, where])} "
                    f"ORDER BY {matches.order} DESC LIMIT ? OFFSET ?",
                    (*key_params, *params, limit, start),
                ).fetchall()
            messages = [summary_from_row(r) for r in rows]
            if matches.everything:
                count, count_unread = total, unread
            elif start == 0 and not keys and len(messages) < limit:
                # The first page holds every match: nothing more to count.
                count, count_unread = len(messages), sum(not m.read for m in messages)
            else:
                count, count_unread = matches.count(conn, (total, unread))
        return Page(
            messages=messages,
            start=start,
            total=total,
            unread=unread,
            count=int(count),
            count_unread=int(count_unread),
            cursor=cursor,
        )

    def first_after(
        self,
        *,
        after: int | None,
        query: str | None = None,
        mailbox: str | None = None,
        tz: str | None = None,
    ) -> MessageSummary | None:
        """The oldest message newer than `after` matching `query`; without `after`, the newest."""
        matches = self._plan(query, mailbox, tz)
        where, params = matches.where
        direction = "DESC"
        if after is not None:
            where, params = f"{matches.order} > ? AND {where}", (after, *params)
            direction = "ASC"
        row = self._conn.execute(
            f"SELECT {SUMMARY_COLUMNS} FROM {matches.source} WHERE {where} "
            f"ORDER BY {matches.order} {direction} LIMIT 1",
            params,
        ).fetchone()
        return summary_from_row(row) if row else None

    def get(self, message_id: str, mailbox: str | None = None) -> MessageRecord:
        """The message with this ID, or the newest one for `latest`; NotFoundError otherwise."""
        if message_id == "latest":
            where, params = scope(mailbox)
            sql = f"SELECT {RECORD_COLUMNS} FROM messages m WHERE {where} ORDER BY m.seq DESC"
            row = self._conn.execute(sql + " LIMIT 1", params).fetchone()
        else:
            where, params = scope(mailbox, "m.id = ?", (message_id,))
            row = self._conn.execute(
                f"SELECT {RECORD_COLUMNS} FROM messages m WHERE {where}", params
            ).fetchone()
        if row is None:
            raise NotFoundError(f"message {message_id!r} not found")
        return record_from_row(row)

    def raw(self, seq: int) -> bytes:
        """The message's bytes exactly as received.

        Read through SQLite's blob handle, straight into the result, with the GIL released: a
        SELECT assembles the value in SQLite's memory and Python copies it again (issue 9:
        2 x a 48 MB message, with the GIL held for the copy)."""
        try:
            with self._conn.blobopen("message_data", "raw", seq, readonly=True) as blob:
                return blob.read()
        except sqlite3.OperationalError as exc:
            if "no such rowid" not in str(exc):  # a message deleted meanwhile
                raise
            raise NotFoundError("message data not found") from None

    def seq_of(self, message_id: str) -> int | None:
        row = self._conn.execute("SELECT seq FROM messages WHERE id = ?", (message_id,)).fetchone()
        return int(row[0]) if row else None

    # -- writes -----------------------------------------------------------------------------

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
        self._index(tx, seq, message_id, envelope, summary)
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
            self._prune_to_count(tx, self.retention.max_messages)
        return Stored(seq=seq, id=message_id, mailbox=envelope.mailbox, created=created_ts)

    async def delete(self, ids: Iterable[str] | None = None, mailbox: str | None = None) -> int:
        """Delete the given messages, or every message (of `mailbox`) when `ids` is None."""
        id_list = None if ids is None else list(ids)
        return await self._writer.run(lambda tx: self._delete(tx, id_list, mailbox))

    def _delete(self, tx: Tx, ids: list[str] | None, mailbox: str | None) -> int:
        if ids is not None:
            return self._delete_seqs(tx, self._seqs_for_ids(tx, ids, mailbox))
        if mailbox is None:
            count = int(tx.execute("SELECT count(*) FROM messages").fetchone()[0])
            for table in ("messages", "message_data", "message_tags"):
                tx.execute(f"DELETE FROM {table}")
            search_index.clear(tx.conn)
            search_vocab.clear(tx.conn)
            self._vocabulary.forget()
            tx.execute("DELETE FROM mailbox_stats")
            tx.emit(MessagesDeleted(None, None, "truncate"))
            return count
        seqs = [r[0] for r in tx.execute("SELECT seq FROM messages WHERE mailbox = ?", (mailbox,))]
        return self._delete_seqs(tx, seqs)

    async def delete_matching(
        self, query: str, mailbox: str | None = None, tz: str | None = None
    ) -> int:
        """Delete every message matching `query` (a bad query raises before anything changes)."""
        self.check_query(query, tz)

        def job(tx: Tx) -> int:
            return self._delete_seqs(
                tx, self._matching(tx, self._plan(query, mailbox, tz, tx.conn))
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
            seqs = self._seqs_for_ids(tx, ids, mailbox)
        elif query:
            seqs = self._matching(tx, self._plan(query, mailbox, tz, tx.conn))
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
            tx.emit(MessagesUpdated(tuple(self._ids_of(tx, seqs)), mailbox, read=read))
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
            return self._delete_seqs(tx, seqs, reason="prune")

        return await self._writer.run(job)

    # -- write helpers (inside a transaction) -------------------------------------------------

    def _matching(self, tx: Tx, matches: Matches) -> list[int]:
        where, params = matches.where
        return [
            r[0] for r in tx.execute(f"SELECT m.seq FROM {matches.source} WHERE {where}", params)
        ]

    def _index(
        self, tx: Tx, seq: int, message_id: str, envelope: Envelope, summary: Summary
    ) -> None:
        """Add the message to the search index (`search_index`), its new tokens to the
        vocabulary. Not a trigger, and one row a statement: see migration 0001."""
        shown_id = search_index.shown_message_id(summary.message_id, message_id)
        texts, terms = search_index.columns_and_terms(
            summary, envelope.mail_from, shown_id, envelope.provider_id
        )
        self._vocabulary.add(tx, terms)
        texts["meta"] = search_index.meta(
            seq, envelope.mailbox, summary.attachments, getattr(summary, "inlines", 0)
        )
        search_index.index(tx.conn, seq, texts)

    def _seqs_for_ids(self, tx: Tx, ids: list[str], mailbox: str | None) -> list[int]:
        seqs: list[int] = []
        for chunk in chunks(ids):
            marks = ",".join("?" * len(chunk))
            where, params = scope(mailbox, f"m.id IN ({marks})", tuple(chunk))
            seqs += [
                r[0] for r in tx.execute(f"SELECT m.seq FROM messages m WHERE {where}", params)
            ]
        return seqs

    def _ids_of(self, tx: Tx, seqs: list[int]) -> list[str]:
        ids: list[str] = []
        for chunk in chunks(seqs):
            marks = ",".join("?" * len(chunk))
            ids += [
                r[0] for r in tx.execute(f"SELECT id FROM messages WHERE seq IN ({marks})", chunk)
            ]
        return ids

    def _delete_seqs(self, tx: Tx, seqs: list[int], reason: str = "delete") -> int:
        if not seqs:
            return 0
        ids = self._ids_of(tx, seqs)
        for chunk in chunks(seqs):
            marks = ",".join("?" * len(chunk))
            for table, column in (
                ("messages", "seq"),
                ("message_data", "seq"),
                ("message_tags", "seq"),
            ):
                tx.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", chunk)
            search_index.unindex(tx.conn, chunk)
        if self._pruner.deleted(tx.conn, len(seqs)):
            self._vocabulary.forget()
        tx.emit(MessagesDeleted(tuple(ids), None, reason))
        return len(seqs)

    def _prune_to_count(self, tx: Tx, keep: int) -> int:
        total = tx.execute("SELECT sum(total) FROM mailbox_stats").fetchone()[0] or 0
        excess = int(total) - keep
        if excess <= 0:
            return 0
        seqs = [
            r[0] for r in tx.execute("SELECT seq FROM messages ORDER BY seq LIMIT ?", (excess,))
        ]
        return self._delete_seqs(tx, seqs, reason="prune")


@contextmanager
def _snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """One read transaction around a listing and its counts, so that all see the same
    messages (the reader is used from the event loop only; nothing else holds it meanwhile)."""
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("COMMIT")
