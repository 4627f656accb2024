"""The messages repository: listing, search, lookups on the reader connection; ingest, delete,
read status and retention through the group-committing writer.

Every write emits its event (`MessageStored`, `MessagesDeleted`, `MessagesUpdated`), published
on the bus once the transaction holding it has committed.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from mailyard.sandbox.clock import Clock
from mailyard.sandbox.errors import InvalidInputError, NotFoundError
from mailyard.sandbox.events import MessagesDeleted, MessageStored, MessagesUpdated
from mailyard.sandbox.mail.summary import Address, Summary, summarize
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
from mailyard.sandbox.store.search import compile_query, index_text
from mailyard.sandbox.store.writer import Tx, Writer

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


@dataclass(frozen=True)
class _Plan:
    """FROM, WHERE and the ordering column of a query over messages, with its parameters.

    `count_source` is the FROM for counting, which needs only `read` and `mailbox` of each
    match: with text terms it reads the narrow messages_flags index, not the summary rows.
    """

    source: str
    where: str
    params: tuple[object, ...]
    order: str
    count_source: str


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

    def check_query(self, query: str, tz: str | None = None) -> None:
        """Raise QueryError (naming what is wrong) if `query` cannot be searched for."""
        compile_query(query, tz, now=self._clock.now())

    def _plan(self, query: str | None, mailbox: str | None, tz: str | None) -> _Plan:
        """With text terms the full-text index drives: it yields rowids newest first and stops
        at the page, where `seq IN (matches)` would first collect every match."""
        compiled = compile_query(query or "", tz, now=self._clock.now())
        where, params = scope(mailbox, compiled.where, compiled.params)
        if compiled.match is None:
            return _Plan("messages m", where, params, "m.seq", "messages m")
        joined = "messages_fts f JOIN messages m {}ON m.seq = f.rowid"
        return _Plan(
            joined.format(""),
            f"f.messages_fts MATCH ? AND ({where})",
            (compiled.match, *params),
            "f.rowid",
            joined.format("INDEXED BY messages_flags "),
        )

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
    ) -> Page:
        """Newest first; with `query`, only the messages matching it. `before`/`after` (seqs) page
        by key instead of offset, which stays fast however deep a reader scrolls."""
        if start < 0:
            raise InvalidInputError("start must be 0 or more", "start")
        if not 0 < limit <= MAX_PAGE:
            raise InvalidInputError(f"limit must be between 1 and {MAX_PAGE}", "limit")
        conn = self._conn
        cursor = self.cursor()
        total, unread = self.totals(mailbox)
        plan = self._plan(query, mailbox, tz)
        where, params = plan.where, plan.params
        if before is not None:
            where, params = f"{plan.order} < ? AND {where}", (before, *params)
        if after is not None:
            where, params = f"{plan.order} > ? AND {where}", (after, *params)
        rows = conn.execute(
            f"SELECT {SUMMARY_COLUMNS} FROM {plan.source} WHERE {where} "
            f"ORDER BY {plan.order} DESC LIMIT ? OFFSET ?",
            (*params, limit, start),
        ).fetchall()
        messages = [summary_from_row(r) for r in rows]
        if not (query and query.strip()):
            count, count_unread = total, unread
        elif start == 0 and before is None and after is None and len(messages) < limit:
            # The first page holds every match: nothing more to count.
            count, count_unread = len(messages), sum(not m.read for m in messages)
        else:
            count, count_unread = conn.execute(
                f"SELECT count(*), coalesce(sum(m.read = 0), 0) FROM {plan.count_source} "
                f"WHERE {plan.where}",
                plan.params,
            ).fetchone()
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
        plan = self._plan(query, mailbox, tz)
        if after is None:
            where, params, direction = plan.where, plan.params, "DESC"
        else:
            where, params = f"{plan.order} > ? AND {plan.where}", (after, *plan.params)
            direction = "ASC"
        row = self._conn.execute(
            f"SELECT {SUMMARY_COLUMNS} FROM {plan.source} WHERE {where} "
            f"ORDER BY {plan.order} {direction} LIMIT 1",
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
        """The message's bytes exactly as received."""
        row = self._conn.execute("SELECT raw FROM message_data WHERE seq = ?", (seq,)).fetchone()
        if row is None:
            raise NotFoundError("message data not found")
        return bytes(row[0])

    def seq_of(self, message_id: str) -> int | None:
        row = self._conn.execute("SELECT seq FROM messages WHERE id = ?", (message_id,)).fetchone()
        return int(row[0]) if row else None

    # -- writes -----------------------------------------------------------------------------

    async def ingest(self, raw: bytes, envelope: Envelope) -> Stored:
        """Store `raw` exactly as received; returns once it is committed (durable, searchable)."""
        summary = summarize(raw, list(envelope.rcpt_to))
        return await self._writer.run(lambda tx: self._insert(tx, raw, envelope, summary))

    def ingest_sync(self, raw: bytes, envelope: Envelope) -> Stored:
        """`ingest` for callers without an event loop (tests, tools)."""
        summary = summarize(raw, list(envelope.rcpt_to))
        return self._writer.call(lambda tx: self._insert(tx, raw, envelope, summary))

    def _insert(self, tx: Tx, raw: bytes, envelope: Envelope, summary: Summary) -> Stored:
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
                hashlib.sha256(raw).hexdigest(),
                summary.parse_error,
                envelope.provider_id,
                envelope.provider_json,
            ),
        )
        seq = int(cursor.lastrowid or 0)
        tx.execute("INSERT INTO message_data (seq, raw) VALUES (?, ?)", (seq, raw))
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
        tx.execute(
            "INSERT INTO messages_fts (rowid, subject, from_, to_, cc, bcc, reply_to, "
            "message_id, body) VALUES (?,?,?,?,?,?,?,?,?)",
            (seq, *_search_columns(summary)),
        )
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
            for table in ("messages", "message_data", "message_tags", "messages_fts"):
                tx.execute(f"DELETE FROM {table}")
            tx.execute("DELETE FROM mailbox_stats")
            tx.emit(MessagesDeleted(None, None, "truncate"))
            return count
        seqs = [r[0] for r in tx.execute("SELECT seq FROM messages WHERE mailbox = ?", (mailbox,))]
        return self._delete_seqs(tx, seqs)

    async def delete_matching(
        self, query: str, mailbox: str | None = None, tz: str | None = None
    ) -> int:
        """Delete every message matching `query` (a bad query raises before anything changes)."""
        plan = self._plan(query, mailbox, tz)
        return await self._writer.run(lambda tx: self._delete_seqs(tx, self._matching(tx, plan)))

    async def set_read(
        self,
        read: bool,
        ids: list[str] | None = None,
        query: str | None = None,
        mailbox: str | None = None,
        tz: str | None = None,
    ) -> int:
        """Mark the given IDs, or the matches of `query`, or everything (of `mailbox`)."""
        plan = self._plan(query, mailbox, tz) if query and not ids else None
        return await self._writer.run(lambda tx: self._set_read(tx, read, ids, plan, mailbox))

    def _set_read(
        self, tx: Tx, read: bool, ids: list[str] | None, plan: _Plan | None, mailbox: str | None
    ) -> int:
        if ids:
            seqs = self._seqs_for_ids(tx, ids, mailbox)
        elif plan is not None:
            seqs = self._matching(tx, plan)
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

    def _matching(self, tx: Tx, plan: _Plan) -> list[int]:
        return [
            r[0]
            for r in tx.execute(f"SELECT m.seq FROM {plan.source} WHERE {plan.where}", plan.params)
        ]

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
                ("messages_fts", "rowid"),
            ):
                tx.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", chunk)
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
