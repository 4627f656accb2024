-- The provider emulators' own state (web.emulate), per mailbox.

-- SES's objects: identities, email templates, configuration sets (their event destinations
-- inside) and the account's settings, each a JSON document under (mailbox, kind, name).
-- Identities are keyed lower-case (SES compares them case-insensitively); the rest as given.
CREATE TABLE emulation_objects (
    mailbox TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (mailbox, kind, name)
);

-- Resend's Idempotency-Key: the digest of the request it first came with and the answer given,
-- kept 24 hours on the clock.
CREATE TABLE resend_idempotency (
    mailbox TEXT NOT NULL,
    key TEXT NOT NULL,
    digest TEXT NOT NULL,
    response TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (mailbox, key)
);
CREATE INDEX resend_idempotency_created ON resend_idempotency(created);

-- Resend emails sent with `scheduled_at`, held here until their time comes on the clock; then
-- the message is stored as any other and the row is marked sent. A canceled one stays, so
-- GET /emails/{id} can still answer `canceled`.
CREATE TABLE resend_scheduled (
    id TEXT PRIMARY KEY,
    mailbox TEXT NOT NULL,
    due REAL NOT NULL,
    state TEXT NOT NULL,
    raw BLOB NOT NULL,
    envelope TEXT NOT NULL,
    email TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX resend_scheduled_pending ON resend_scheduled(state, due);
