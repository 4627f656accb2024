-- The delivery simulator: what became of each recipient, the provider events that tell it,
-- the suppression list, and the webhook endpoints those events are delivered to.

-- The provider's own message id (SES's or Resend's) and what it knew of the send (tags,
-- configuration set, caller), for messages that came through an emulated provider API.
ALTER TABLE messages ADD COLUMN provider_id TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN provider_json TEXT NOT NULL DEFAULT '{}';
CREATE INDEX messages_provider_id ON messages(provider_id) WHERE provider_id != '';

-- One row per (message, envelope recipient): the plan the simulator chose and how far it got.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    seq INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    mailbox TEXT NOT NULL,
    recipient TEXT NOT NULL,
    outcome TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    last_event TEXT NOT NULL,
    suppress TEXT,
    created REAL NOT NULL
);
CREATE INDEX deliveries_seq ON deliveries(seq);
CREATE INDEX deliveries_recipient ON deliveries(mailbox, recipient);

-- One row per provider event. Equal steps of one message (the same kind, detail and time for
-- several recipients) are one event, as SES combines them. `due` is when it happens on the
-- clock; until then `occurred` is 0 and only the scheduler sees it. AUTOINCREMENT: the id is a
-- cursor for /api/v1/events that deletes never move.
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    seq INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    mailbox TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}',
    recipients TEXT NOT NULL,
    due REAL NOT NULL,
    occurred INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX events_pending ON events(occurred, due);
CREATE INDEX events_seq ON events(seq);
CREATE INDEX events_mailbox ON events(mailbox, id);
CREATE TABLE event_recipients (
    event INTEGER NOT NULL,
    recipient TEXT NOT NULL,
    PRIMARY KEY (event, recipient)
);
CREATE INDEX event_recipients_recipient ON event_recipients(recipient);

-- The account-level suppression list, per mailbox, as SES keeps it: a hard bounce or a
-- complaint adds the address; later sends to it are answered from the list.
CREATE TABLE suppressions (
    mailbox TEXT NOT NULL,
    address TEXT NOT NULL,
    reason TEXT NOT NULL,
    created REAL NOT NULL,
    message_id TEXT NOT NULL DEFAULT '',
    origin TEXT NOT NULL DEFAULT 'simulator',
    PRIMARY KEY (mailbox, address)
);

-- Message deletes take their delivery history with them (the suppression list stays).
CREATE TRIGGER messages_delete_simulation AFTER DELETE ON messages BEGIN
    DELETE FROM event_recipients WHERE event IN (SELECT id FROM events WHERE seq = old.seq);
    DELETE FROM events WHERE seq = old.seq;
    DELETE FROM deliveries WHERE seq = old.seq;
END;

-- Webhook endpoints, and every delivery of an event to one of them with its attempts.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    format TEXT NOT NULL,
    secret TEXT NOT NULL DEFAULT '',
    events TEXT NOT NULL DEFAULT '[]',
    mailbox TEXT,
    enabled INTEGER NOT NULL DEFAULT 1,
    created REAL NOT NULL,
    confirmed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook TEXT NOT NULL,
    event INTEGER NOT NULL,
    message_key TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries(status, next_attempt);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries(webhook, id);
CREATE TABLE webhook_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery INTEGER NOT NULL,
    at REAL NOT NULL,
    status_code INTEGER,
    latency_ms REAL NOT NULL,
    response TEXT NOT NULL DEFAULT '',
    error TEXT
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery);
