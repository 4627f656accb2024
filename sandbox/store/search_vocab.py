"""The search vocabulary: every token the message index holds, found by any substring of it.

The tokens the messages of one write transaction bring in are one row of
`search_vocab_batches` (its plain words apart from its other chunks), under a trigram index
(`search_vocab_fts`) that finds the rows holding a substring; the tokens containing it are then
picked out of those rows.

What it costs at ingest is what decided this shape (measured, 2 shared cores): a row of FTS5
costs 30-60 us to write whatever its length, and a UNIQUE index 10-20 us a new token, so one
row a transaction (measured: one a message doubled the FTS5 writes and merges of ingest) and no
uniqueness. Tokens are remembered in memory instead, so a common word is
written once, and again only when the memory was reset (a restart, `CACHE` tokens): a token
may be in more than one row, which lookups fold together.

Rows only grow at ingest; `prune` drops the tokens of deleted messages.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable

from mailyard.sandbox.store.writer import Tx

CACHE = 100_000  # tokens remembered as being in the vocabulary


class Vocabulary:
    """Gathers the new tokens of a transaction's messages and writes them as one row, right
    before it commits (`writer.GroupWork`): a row of FTS5 costs the same whatever its length,
    and fewer rows mean fewer segments to merge.

    The memory must never claim a token that a rolled-back transaction took away: the tokens
    a transaction writes are remembered only once it has committed (`settle`). There is one
    writer, so nothing else writes the vocabulary meanwhile (the migrations run before it).
    """

    def __init__(self) -> None:
        self._known: set[str] = set()
        self._pending: set[str] = set()
        self._written: set[str] = set()  # flushed, not yet committed
        self._top = 0  # the id of the last row written

    def add(self, tx: Tx, terms: Iterable[str]) -> None:
        """Note a message's tokens, to be written before `tx` commits (those known to be
        there already are not)."""
        self._pending.update(terms)
        tx.share(self)

    def flush(self, conn: sqlite3.Connection) -> None:
        """Write the pending tokens not known to be there, as one row (a write job reading
        the vocabulary flushes it early, so that it sees the tokens of the jobs before it)."""
        pending, self._pending = self._pending, set()
        if not pending:
            return
        # Once a transaction, not once a message: rows removed behind the memory's back (a
        # `prune` called alone) take what it remembers with them.
        top = int(
            conn.execute("SELECT coalesce(max(id), 0) FROM search_vocab_batches").fetchone()[0]
        )
        if top < self._top:
            self.forget()
        # Imported here: the search stack (its Unicode regexes) loads with the first message,
        # not with `mailyard serve`'s start (issue 10).
        from mailyard.sandbox.store.search_index import MARK

        known = self._known
        new = [t for t in pending if t not in known and t not in self._written and t != MARK]
        new = [t for t in new if t]
        if not new:
            return
        plain = " ".join(t for t in new if t.isalnum())
        other = " ".join(t for t in new if not t.isalnum())
        cursor = conn.execute(
            "INSERT INTO search_vocab_batches (words, chunks) VALUES (?, ?)", (plain, other)
        )
        conn.execute(
            "INSERT INTO search_vocab_fts (rowid, words, chunks) VALUES (?, ?, ?)",
            (cursor.lastrowid, plain, other),
        )
        self._top = int(cursor.lastrowid or 0)
        self._written.update(new)

    def settle(self, committed: bool) -> None:
        written, self._written = self._written, set()
        if not committed:
            self._pending = set()
            self._top = 0  # rows it wrote are gone: a lower `max(id)` must not look like a prune
            return
        if len(self._known) + len(written) > CACHE:
            self._known = set()
        self._known |= written

    def forget(self) -> None:
        """Drop what is remembered (the vocabulary was emptied or pruned)."""
        self._known = set()
        self._written = set()
        self._top = 0


def containing(
    conn: sqlite3.Connection,
    needle: str,
    *,
    words_only: bool,
    fetch: int,
    most: int | None = None,
    keep: Callable[[str], bool] | None = None,
) -> list[str] | None:
    """The tokens that contain `needle` (plain words only with `words_only`; those `keep`
    accepts, when given); None when `fetch` rows or more hold some, or when more than `most`
    tokens qualify. Rows are read one at a time and the reading stops as soon as the answer
    is None: in a vocabulary where every message brought a token holding the needle (an
    order number, a reset link), reading them all cost ~45 ms a search at 10,000 messages."""
    if len(needle) >= 3:
        scope = "{words} : " if words_only else ""
        rows = conn.execute(
            "SELECT words, chunks FROM search_vocab_batches WHERE id IN (SELECT rowid FROM "
            "search_vocab_fts WHERE search_vocab_fts MATCH ? LIMIT ?)",
            (scope + '"' + needle.replace('"', '""') + '"', fetch),
        )
    else:  # below a trigram: read the vocabulary through (bounded by its size)
        where = "instr(words, ?1) > 0" + ("" if words_only else " OR instr(chunks, ?1) > 0")
        rows = conn.execute(
            f"SELECT words, chunks FROM search_vocab_batches WHERE {where} LIMIT ?2",
            (needle, fetch),
        )
    found: set[str] = set()
    for count, (words, chunks) in enumerate(rows, start=1):
        if count >= fetch:
            return None
        for token in (words if words_only else f"{words} {chunks}").split():
            if needle in token and (keep is None or keep(token)):
                found.add(token)
        if most is not None and len(found) > most:
            return None
    return sorted(found)


def clear(conn: sqlite3.Connection) -> None:
    """Empty the vocabulary (every message was deleted)."""
    conn.execute("DELETE FROM search_vocab_batches")
    conn.execute("INSERT INTO search_vocab_fts (search_vocab_fts) VALUES ('delete-all')")


class Pruner:
    """Decides when to drop the tokens of deleted messages from the vocabulary.

    Stale tokens cost nothing in correctness (they match no message) but make the vocabulary
    grow under retention. A prune reads the whole index's vocabulary (~3 us a token, so ~1 s
    for 300,000 tokens, in one write job); it runs once as many messages were deleted as are
    kept (and at least `PRUNE_AFTER`), so its cost per deleted message stays flat.
    """

    PRUNE_AFTER = 20_000

    def __init__(self) -> None:
        self._deleted = 0

    def deleted(self, conn: sqlite3.Connection, count: int) -> bool:
        """Note `count` deletions; prune when due. True when it pruned."""
        self._deleted += count
        if self._deleted < self.PRUNE_AFTER:
            return False
        kept = conn.execute("SELECT coalesce(sum(total), 0) FROM mailbox_stats").fetchone()[0]
        if self._deleted < int(kept):
            return False
        self._deleted = 0
        prune(conn)
        return True


def prune(conn: sqlite3.Connection) -> int:
    """Drop the tokens no stored message holds any more; returns how many were dropped."""
    conn.execute("DROP TABLE IF EXISTS temp.search_live")
    conn.execute(
        "CREATE TEMP TABLE search_live AS SELECT DISTINCT term FROM messages_search_terms "
        "WHERE col != 'meta'"
    )
    conn.execute("CREATE UNIQUE INDEX temp.search_live_term ON search_live (term)")
    dropped, after = 0, None
    while True:
        rows = conn.execute(
            "SELECT id, words, chunks FROM search_vocab_batches WHERE id > ?1 OR ?1 IS NULL "
            "ORDER BY id LIMIT 500",
            (after,),
        ).fetchall()
        if not rows:
            break
        for batch, words, chunks in rows:
            kept = [_live(conn, text.split()) for text in (words, chunks)]
            gone = len(words.split()) + len(chunks.split()) - len(kept[0]) - len(kept[1])
            if not gone:
                continue
            dropped += gone
            conn.execute(
                "INSERT INTO search_vocab_fts (search_vocab_fts, rowid, words, chunks) "
                "VALUES ('delete', ?, ?, ?)",
                (batch, words, chunks),
            )
            if kept[0] or kept[1]:
                values = (" ".join(kept[0]), " ".join(kept[1]), batch)
                conn.execute(
                    "UPDATE search_vocab_batches SET words = ?, chunks = ? WHERE id = ?", values
                )
                conn.execute(
                    "INSERT INTO search_vocab_fts (rowid, words, chunks) VALUES (?3, ?1, ?2)",
                    values,
                )
            else:
                conn.execute("DELETE FROM search_vocab_batches WHERE id = ?", (batch,))
        after = rows[-1][0]
    conn.execute("DROP TABLE temp.search_live")
    return dropped


def _live(conn: sqlite3.Connection, terms: list[str]) -> list[str]:
    live: set[str] = set()
    for at in range(0, len(terms), 500):
        part = terms[at : at + 500]
        marks = ",".join("?" * len(part))
        sql = f"SELECT term FROM search_live WHERE term IN ({marks})"
        live.update(r[0] for r in conn.execute(sql, part))
    return [t for t in terms if t in live]
