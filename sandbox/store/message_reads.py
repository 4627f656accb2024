"""The read side of the messages repository: `MessageReads`, every read of messages on the
reader connection (totals and mailboxes, the store's cursor, paged listings and searches with
Mailpit's counts, the next message after a cursor, lookups by ID or seq, a message's raw bytes)
and the planning of a query into its matches, which the write side reuses to pick the messages a
delete or a read mark applies to.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

from mailyard.sandbox.clock import Clock
from mailyard.sandbox.errors import InvalidInputError, NotFoundError
from mailyard.sandbox.store import search_vocab
from mailyard.sandbox.store.matches import Counts, Matches
from mailyard.sandbox.store.message_rows import scope
from mailyard.sandbox.store.records import (
    RECORD_COLUMNS,
    SUMMARY_COLUMNS,
    MessageRecord,
    MessageSummary,
    Page,
    record_from_row,
    summary_from_row,
)

if TYPE_CHECKING:
    from mailyard.sandbox.store.search import Note

MAX_PAGE = 1000


class MessageReads:
    """Every read of messages. Reads run on the caller's thread, on the reader."""

    def __init__(self, reader: Callable[[], sqlite3.Connection], clock: Clock) -> None:
        self._reader = reader
        self._clock = clock
        # The new tokens of written messages: written by `Messages`, flushed by `_plan` for a
        # write job, so that its search sees the tokens of messages inserted before it.
        self._vocabulary = search_vocab.Vocabulary()
        self.counts = Counts()  # the counts of recent searches, kept up to date

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
        from mailyard.sandbox.store.search import compile_query  # see _plan

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
        # Imported here: the search stack (its Unicode regexes, ~15 ms) loads with the first
        # listing or search, not with `mailyard serve`'s start (issue 10).
        from mailyard.sandbox.store.search import compile_query
        from mailyard.sandbox.store.search_plan import plan

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
