-- The reference auth service: tenants (themes, clients), users, single-use tokens and
-- invitations. Tokens are stored only as hashes; the plain token exists in the email alone.

-- A tenant theme: the spec's fields as JSON (only those set; the rest resolve field by field).
-- At most one theme is the service default.
CREATE TABLE auth_themes (
    id TEXT PRIMARY KEY,
    fields TEXT NOT NULL DEFAULT '{}',
    is_default INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE UNIQUE INDEX auth_themes_default ON auth_themes(is_default) WHERE is_default = 1;

-- An OAuth client (an app): its name, the theme bound to it, whether self-signup is open.
CREATE TABLE auth_clients (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    theme_id TEXT,
    self_signup INTEGER NOT NULL DEFAULT 1,
    sign_in_url TEXT,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE INDEX auth_clients_theme ON auth_clients(theme_id);

-- `email_key` is the address as compared (trimmed, lower case): one account per address.
-- `welcomed` is when the welcome email was claimed: set once, so it is sent once.
CREATE TABLE auth_users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    name TEXT,
    password_hash TEXT,
    verified INTEGER NOT NULL DEFAULT 0,
    client_id TEXT,
    source TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    welcomed REAL
);

-- One row per token issued: its hash, what it is for, whose it is, its lifetime and its use.
-- `attempts` counts wrong guesses of a typed code (links are not guessable; codes are).
CREATE TABLE auth_tokens (
    hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    created REAL NOT NULL,
    expires REAL NOT NULL,
    used REAL,
    revoked REAL,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX auth_tokens_subject ON auth_tokens(subject, kind);

CREATE TABLE auth_invitations (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL,
    recipient_name TEXT,
    inviter_name TEXT NOT NULL,
    client_id TEXT,
    token_hash TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    expires REAL NOT NULL,
    created REAL NOT NULL,
    accepted REAL,
    revoked REAL,
    user_id TEXT
);
CREATE INDEX auth_invitations_email ON auth_invitations(email_key, status);
CREATE INDEX auth_invitations_created ON auth_invitations(created);

-- Keys the tokens' check tags and the code hashes: random per install, never leaves the file.
INSERT OR IGNORE INTO meta (key, value) VALUES ('auth_token_key', randomblob(32));
