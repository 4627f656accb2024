"""The database schema, as an append-only list of migrations.

Never edit a migration that has shipped: add a new one at the end. Each runs once, in its own
transaction, and is recorded in `_migrations`.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime


def _split(script: str) -> list[str]:
    """Split a migration script into statements (triggers keep their inner semicolons)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    assert not current.strip(), f"incomplete statement in migration: {current!r}"
    return statements


# 0001: messages and what is derived from them.
# The summary row is what listing and counting touch, so raw bytes live in message_data:
# keeping them inline made listing 10x slower (research/perf-baselines.md). AUTOINCREMENT:
# a seq is never reused, even after the newest message is deleted, so a wait cursor never
# sees an old number come back.
_0001_MESSAGES = """
CREATE TABLE messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    mailbox TEXT NOT NULL DEFAULT 'default',
    source TEXT NOT NULL DEFAULT 'smtp',
    created TEXT NOT NULL,
    created_ts REAL NOT NULL,
    mail_from TEXT NOT NULL DEFAULT '',
    rcpt_to TEXT NOT NULL DEFAULT '[]',
    client_addr TEXT NOT NULL DEFAULT '',
    helo TEXT NOT NULL DEFAULT '',
    auth_user TEXT NOT NULL DEFAULT '',
    tls INTEGER NOT NULL DEFAULT 0,
    from_json TEXT,
    to_json TEXT NOT NULL DEFAULT '[]',
    cc_json TEXT NOT NULL DEFAULT '[]',
    bcc_json TEXT NOT NULL DEFAULT '[]',
    reply_to_json TEXT NOT NULL DEFAULT '[]',
    subject TEXT NOT NULL DEFAULT '',
    snippet TEXT NOT NULL DEFAULT '',
    message_id TEXT NOT NULL DEFAULT '',
    date TEXT,
    size INTEGER NOT NULL,
    attachments INTEGER NOT NULL DEFAULT 0,
    read INTEGER NOT NULL DEFAULT 0,
    sha256 TEXT NOT NULL DEFAULT '',
    parse_error TEXT
);
CREATE UNIQUE INDEX messages_id ON messages(id);
CREATE INDEX messages_mailbox_seq ON messages(mailbox, seq);
CREATE INDEX messages_created_ts ON messages(created_ts);
-- Narrow and covering: counting the unread among a search's matches reads this, not the wide
-- summary rows (measured: 9 ms instead of 20 ms for 25,000 matches).
CREATE INDEX messages_flags ON messages(seq, read, mailbox);
CREATE TABLE message_data (seq INTEGER PRIMARY KEY, raw BLOB NOT NULL);
CREATE TABLE message_tags (
    seq INTEGER NOT NULL,
    tag TEXT NOT NULL,
    PRIMARY KEY (seq, tag)
);
CREATE INDEX message_tags_tag ON message_tags(tag COLLATE NOCASE);
-- Full-text index of words (unicode61, with positions): a word matches as a prefix, a phrase by
-- position, and a common word is answered from its doclist without re-reading text (measured
-- at 100,000 messages: the newest 50 of a word in 95% of them in 2.8 ms, where trigram LIKE
-- re-checked every candidate's text and took 230 ms at 10,000). Indexing costs ~19 us a message
-- instead of trigram's 118-231 us. Text is stored casefolded, CJK characters spaced apart
-- (see sandbox/search.py).
CREATE VIRTUAL TABLE messages_fts USING fts5(
    subject, from_, to_, cc, bcc, reply_to, message_id, body,
    tokenize='unicode61 remove_diacritics 0', columnsize=0
);
-- Totals per mailbox, so a listing never counts 100,000 rows. Deletes and read changes keep
-- them by trigger; inserts by an explicit statement in the store: a statement that fires a
-- trigger opens a statement savepoint, and FTS5 flushes its pending index at every savepoint,
-- which cost ~65 us a message on the path to the 250 (measured).
CREATE TABLE mailbox_stats (
    mailbox TEXT PRIMARY KEY,
    total INTEGER NOT NULL DEFAULT 0,
    unread INTEGER NOT NULL DEFAULT 0
);

CREATE TRIGGER messages_stats_delete AFTER DELETE ON messages BEGIN
    UPDATE mailbox_stats SET total = total - 1, unread = unread - (1 - old.read)
    WHERE mailbox = old.mailbox;
END;
CREATE TRIGGER messages_stats_read AFTER UPDATE OF read ON messages
WHEN old.read != new.read BEGIN
    UPDATE mailbox_stats SET unread = unread + old.read - new.read WHERE mailbox = new.mailbox;
END;
"""

# 0002: what the mailer sent (the spec's send log, queryable), and per-install values such as
# the key that turns recipient addresses into keyed hashes for the log.
_0002_SEND_LOG = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
CREATE TABLE send_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    created_ts REAL NOT NULL,
    concept TEXT NOT NULL,
    theme TEXT NOT NULL,
    locale TEXT NOT NULL,
    recipient TEXT NOT NULL,
    provider TEXT NOT NULL,
    message_id TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL,
    reason TEXT,
    error_code TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    duration_ms REAL NOT NULL,
    test INTEGER NOT NULL DEFAULT 0,
    missing TEXT NOT NULL DEFAULT ''
);
CREATE INDEX send_log_concept ON send_log(concept, id);
"""

MIGRATIONS: list[tuple[str, str]] = [
    ("0001_messages", _0001_MESSAGES),
    ("0002_send_log", _0002_SEND_LOG),
]


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply every migration not yet recorded; return the names applied.

    `conn` must be in autocommit mode (isolation_level=None): each migration is one explicit
    transaction, so a crash mid-migration leaves the previous schema intact.
    """
    conn.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    done = {row[0] for row in conn.execute("SELECT name FROM _migrations")}
    applied = []
    for name, script in MIGRATIONS:
        if name in done:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _split(script):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO _migrations(name, applied_at) VALUES (?, ?)",
                (name, datetime.now(UTC).isoformat()),
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        applied.append(name)
    return applied
