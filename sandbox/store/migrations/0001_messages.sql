-- Messages and what is derived from them.
-- The summary row is what listing and counting touch, so raw bytes live in message_data:
-- keeping them inline made listing 10x slower (research/perf-baselines.md). AUTOINCREMENT:
-- a seq is never reused, even after the newest message is deleted, so a wait cursor never
-- sees an old number come back.
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
