"""SQL over the store: listing, search, lookups, and the write operations the writer runs."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass

from mailyard.sandbox.errors import InvalidInputError, NotFoundError
from mailyard.sandbox.store.records import (
    RECORD_COLUMNS,
    SUMMARY_COLUMNS,
    MessageRecord,
    MessageSummary,
    record_from_row,
    summary_from_row,
    utc_now,
)
from mailyard.sandbox.store.search import compile_query

CHUNK = 500  # SQLite's default limit of bound variables is far above this


@dataclass(frozen=True)
class Page:
    """A page of a listing or search, with Mailpit's counts."""

    messages: list[MessageSummary]
    start: int
    total: int  # in the mailbox (or all mailboxes)
    unread: int
    count: int  # matching the query
    count_unread: int
    cursor: int  # the newest seq at the time of the query


def totals(conn: sqlite3.Connection, mailbox: str | None) -> tuple[int, int]:
    if mailbox is None:
        row = conn.execute("SELECT sum(total), sum(unread) FROM mailbox_stats").fetchone()
    else:
        row = conn.execute(
            "SELECT total, unread FROM mailbox_stats WHERE mailbox = ?", (mailbox,)
        ).fetchone()
    return (int(row[0] or 0), int(row[1] or 0)) if row else (0, 0)


def newest_seq(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'messages'").fetchone()
    return int(row[0]) if row else 0


def _scope(
    mailbox: str | None, where: str = "1", params: tuple[object, ...] = ()
) -> tuple[str, tuple[object, ...]]:
    if mailbox is None:
        return where, params
    return f"m.mailbox = ? AND ({where})", (mailbox, *params)


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


def _plan(query: str | None, mailbox: str | None, tz: str | None) -> _Plan:
    """With text terms the full-text index drives: it yields rowids newest first and stops at
    the page, where `seq IN (matches)` would first collect every match."""
    compiled = compile_query(query or "", tz)
    where, params = _scope(mailbox, compiled.where, compiled.params)
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


def list_page(
    conn: sqlite3.Connection,
    *,
    mailbox: str | None,
    start: int,
    limit: int,
    query: str | None = None,
    tz: str | None = None,
    before: int | None = None,
    after: int | None = None,
) -> Page:
    """Newest first; with `query`, only the messages matching it. `before`/`after` (seqs) page
    by key instead of offset, which stays fast however deep a reader scrolls."""
    if start < 0:
        raise InvalidInputError("start must be 0 or more", "start")
    if not 0 < limit <= 1000:
        raise InvalidInputError("limit must be between 1 and 1000", "limit")
    cursor = newest_seq(conn)
    total, unread = totals(conn, mailbox)
    plan = _plan(query, mailbox, tz)
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
    conn: sqlite3.Connection,
    *,
    after: int | None,
    query: str | None,
    mailbox: str | None,
    tz: str | None = None,
) -> MessageSummary | None:
    """The oldest message newer than `after` matching `query`; without `after`, the newest."""
    plan = _plan(query, mailbox, tz)
    if after is None:
        where, params, direction = plan.where, plan.params, "DESC"
    else:
        where, params, direction = (
            f"{plan.order} > ? AND {plan.where}",
            (after, *plan.params),
            "ASC",
        )
    row = conn.execute(
        f"SELECT {SUMMARY_COLUMNS} FROM {plan.source} WHERE {where} "
        f"ORDER BY {plan.order} {direction} LIMIT 1",
        params,
    ).fetchone()
    return summary_from_row(row) if row else None


def resolve(conn: sqlite3.Connection, message_id: str, mailbox: str | None = None) -> MessageRecord:
    """The message with this ID, or the newest one for `latest`."""
    if message_id == "latest":
        where, params = _scope(mailbox)
        sql = f"SELECT {RECORD_COLUMNS} FROM messages m WHERE {where} ORDER BY m.seq DESC LIMIT 1"
        row = conn.execute(sql, params).fetchone()
    else:
        where, params = _scope(mailbox, "m.id = ?", (message_id,))
        row = conn.execute(
            f"SELECT {RECORD_COLUMNS} FROM messages m WHERE {where}", params
        ).fetchone()
    if row is None:
        raise NotFoundError(f"message {message_id!r} not found")
    return record_from_row(row)


def raw(conn: sqlite3.Connection, seq: int) -> bytes:
    row = conn.execute("SELECT raw FROM message_data WHERE seq = ?", (seq,)).fetchone()
    if row is None:
        raise NotFoundError("message data not found")
    return bytes(row[0])


def seq_of(conn: sqlite3.Connection, message_id: str) -> int | None:
    row = conn.execute("SELECT seq FROM messages WHERE id = ?", (message_id,)).fetchone()
    return int(row[0]) if row else None


def all_tags(conn: sqlite3.Connection, mailbox: str | None = None) -> list[str]:
    if mailbox is None:
        rows = conn.execute("SELECT DISTINCT tag FROM message_tags").fetchall()
    else:
        rows = conn.execute(
            "SELECT DISTINCT t.tag FROM message_tags t JOIN messages m ON m.seq = t.seq "
            "WHERE m.mailbox = ?",
            (mailbox,),
        ).fetchall()
    return sorted({r[0] for r in rows}, key=str.casefold)


def tag_counts(conn: sqlite3.Connection) -> dict[str, int]:
    rows = conn.execute("SELECT tag, count(*) FROM message_tags GROUP BY tag").fetchall()
    return {r[0]: int(r[1]) for r in rows}


def mailboxes(conn: sqlite3.Connection) -> dict[str, tuple[int, int]]:
    rows = conn.execute(
        "SELECT mailbox, total, unread FROM mailbox_stats WHERE total > 0 ORDER BY mailbox"
    ).fetchall()
    return {r[0]: (int(r[1]), int(r[2])) for r in rows}


# -- writes (run by the writer, inside its transaction) ---------------------------------------


def _seqs_for_ids(conn: sqlite3.Connection, ids: list[str], mailbox: str | None) -> list[int]:
    seqs = []
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        marks = ",".join("?" * len(chunk))
        where, params = _scope(mailbox, f"m.id IN ({marks})", tuple(chunk))
        seqs += [r[0] for r in conn.execute(f"SELECT m.seq FROM messages m WHERE {where}", params)]
    return seqs


def delete_seqs(conn: sqlite3.Connection, seqs: Iterable[int]) -> int:
    seq_list = list(seqs)
    for i in range(0, len(seq_list), CHUNK):
        chunk = seq_list[i : i + CHUNK]
        marks = ",".join("?" * len(chunk))
        for table, column in (
            ("messages", "seq"),
            ("message_data", "seq"),
            ("message_tags", "seq"),
            ("messages_fts", "rowid"),
        ):
            conn.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", chunk)
    return len(seq_list)


def delete(conn: sqlite3.Connection, ids: list[str] | None, mailbox: str | None) -> int:
    if ids is not None:
        return delete_seqs(conn, _seqs_for_ids(conn, ids, mailbox))
    if mailbox is None:
        count = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
        for table in ("messages", "message_data", "message_tags", "messages_fts"):
            conn.execute(f"DELETE FROM {table}")
        conn.execute("DELETE FROM mailbox_stats")
        return int(count)
    seqs = [r[0] for r in conn.execute("SELECT seq FROM messages WHERE mailbox = ?", (mailbox,))]
    return delete_seqs(conn, seqs)


def matching_seqs(
    conn: sqlite3.Connection, query: str, mailbox: str | None, tz: str | None
) -> list[int]:
    plan = _plan(query, mailbox, tz)
    return [
        r[0]
        for r in conn.execute(f"SELECT m.seq FROM {plan.source} WHERE {plan.where}", plan.params)
    ]


def delete_matching(
    conn: sqlite3.Connection, query: str, mailbox: str | None, tz: str | None
) -> int:
    return delete_seqs(conn, matching_seqs(conn, query, mailbox, tz))


def set_read(
    conn: sqlite3.Connection,
    read: bool,
    ids: list[str] | None,
    query: str | None,
    mailbox: str | None,
    tz: str | None,
) -> int:
    if ids:
        seqs = _seqs_for_ids(conn, ids, mailbox)
    elif query:
        seqs = matching_seqs(conn, query, mailbox, tz)
    else:
        where, params = _scope(mailbox, "m.read != ?", (int(read),))
        return conn.execute(
            f"UPDATE messages AS m SET read = ? WHERE {where}", (int(read), *params)
        ).rowcount
    changed = 0
    for i in range(0, len(seqs), CHUNK):
        chunk = seqs[i : i + CHUNK]
        marks = ",".join("?" * len(chunk))
        changed += conn.execute(
            f"UPDATE messages SET read = ? WHERE seq IN ({marks})", (int(read), *chunk)
        ).rowcount
    return changed


def set_tags(conn: sqlite3.Connection, ids: list[str], tags: list[str]) -> int:
    clean = list(dict.fromkeys(t.strip() for t in tags if t.strip()))
    seqs = _seqs_for_ids(conn, ids, None)
    for seq in seqs:
        conn.execute("DELETE FROM message_tags WHERE seq = ?", (seq,))
        conn.executemany(
            "INSERT OR IGNORE INTO message_tags (seq, tag) VALUES (?, ?)", [(seq, t) for t in clean]
        )
    return len(seqs)


def rename_tag(conn: sqlite3.Connection, old: str, new: str) -> int:
    new = new.strip()
    if not new:
        raise InvalidInputError("the new tag name is empty", "Name")
    if new != old:
        # A message carrying both tags keeps one.
        conn.execute(
            "DELETE FROM message_tags WHERE tag = ? AND seq IN "
            "(SELECT seq FROM message_tags WHERE tag = ?)",
            (old, new),
        )
    return conn.execute("UPDATE message_tags SET tag = ? WHERE tag = ?", (new, old)).rowcount


def delete_tag(conn: sqlite3.Connection, tag: str) -> int:
    return conn.execute("DELETE FROM message_tags WHERE tag = ?", (tag,)).rowcount


def prune_to_count(conn: sqlite3.Connection, keep: int) -> int:
    total = conn.execute("SELECT sum(total) FROM mailbox_stats").fetchone()[0] or 0
    excess = int(total) - keep
    if excess <= 0:
        return 0
    seqs = [r[0] for r in conn.execute("SELECT seq FROM messages ORDER BY seq LIMIT ?", (excess,))]
    return delete_seqs(conn, seqs)


def prune_by_age(conn: sqlite3.Connection, max_age: float) -> int:
    cutoff = time.time() - max_age
    seqs = [r[0] for r in conn.execute("SELECT seq FROM messages WHERE created_ts < ?", (cutoff,))]
    return delete_seqs(conn, seqs)


SEND_LOG_COLUMNS = (
    "concept",
    "theme",
    "locale",
    "recipient",
    "provider",
    "message_id",
    "outcome",
    "reason",
    "error_code",
    "attempts",
    "duration_ms",
    "test",
    "missing",
)


def record_send(conn: sqlite3.Connection, entry: dict[str, object]) -> int:
    created, created_ts = utc_now()
    missing = entry.get("missing") or ()
    stored = {**entry, "message_id": entry.get("message_id") or ""}
    stored["missing"] = (
        ",".join(str(m) for m in missing) if isinstance(missing, list | tuple) else ""
    )
    values = [stored.get(c) for c in SEND_LOG_COLUMNS]
    cursor = conn.execute(
        f"INSERT INTO send_log (created, created_ts, {', '.join(SEND_LOG_COLUMNS)}) "
        f"VALUES (?, ?, {', '.join('?' * len(SEND_LOG_COLUMNS))})",
        (created, created_ts, *values),
    )
    return int(cursor.lastrowid or 0)


def send_log(
    conn: sqlite3.Connection,
    *,
    limit: int = 50,
    concept: str | None = None,
    outcome: str | None = None,
    reason: str | None = None,
) -> list[dict[str, object]]:
    """The newest entries first, optionally of one concept, outcome or reason."""
    clauses, params = [], []
    for column, value in (("concept", concept), ("outcome", outcome), ("reason", reason)):
        if value:
            clauses.append(f"{column} = ?")
            params.append(value)
    where = " AND ".join(clauses) or "1"
    rows = conn.execute(
        f"SELECT id, created, {', '.join(SEND_LOG_COLUMNS)} FROM send_log WHERE {where} "
        "ORDER BY id DESC LIMIT ?",
        (*params, limit),
    ).fetchall()
    return [
        {
            **dict(row),
            "test": bool(row["test"]),
            "missing": [m for m in row["missing"].split(",") if m],
        }
        for row in rows
    ]
