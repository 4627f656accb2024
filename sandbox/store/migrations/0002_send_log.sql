-- What the mailer sent (the spec's send log, queryable), and per-install values such as
-- the key that turns recipient addresses into keyed hashes for the log.
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
