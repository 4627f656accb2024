-- Search as Mailpit searches (issue 14): every term a substring, Unicode case-insensitive, with
-- exact counts; see sandbox/store/search_index.py for the layout. Measured with bench/api.py at
-- 100,000 messages on 2 shared cores (figures in the session notes of issue 14):
-- * trigram MATCH (the substring index SQLite offers) counted a word in 95% of messages in
--   60-100 ms (five trigram doclists with positions, merged per row) and indexed at 123 us a
--   message (2.3x the text): too slow for exact counts, too dear at ingest.
-- * tokens split at white space only, plus the words of the chunks that hold punctuation, and
--   a vocabulary with a trigram index: a substring is the OR of the few tokens containing it,
--   counted from doclists alone (4-7 ms for the same word), indexed at ~40 us a message.
-- * unread counts: joining 92,000 matches to `messages` took 35-100 ms; `s<seq>` tokens let
--   the index count the matches among the (few) read or (few) unread messages instead.
-- The rebuild below works from what 0001 stored: attachment names and inline parts of older
-- messages are not known (they match as if they had none); their text was stored casefolded,
-- with CJK characters spaced apart, which stays. It takes ~1 min per 100,000 messages.

-- The searched text, column by column (what the index holds, and what a search that cannot use
-- it reads: a plain table is read ~10x faster than through the FTS5 table).
CREATE TABLE search_text (
    seq INTEGER PRIMARY KEY,
    meta TEXT NOT NULL,
    subject TEXT NOT NULL,
    from_ TEXT NOT NULL,
    to_ TEXT NOT NULL,
    cc TEXT NOT NULL,
    bcc TEXT NOT NULL,
    reply_to TEXT NOT NULL,
    message_id TEXT NOT NULL,
    subject_w TEXT NOT NULL,
    from_w TEXT NOT NULL,
    to_w TEXT NOT NULL,
    cc_w TEXT NOT NULL,
    bcc_w TEXT NOT NULL,
    reply_to_w TEXT NOT NULL,
    message_id_w TEXT NOT NULL,
    text_w TEXT NOT NULL,
    text TEXT NOT NULL
);
-- Tokens are runs between white space: every ASCII punctuation mark is a token character.
CREATE VIRTUAL TABLE messages_search USING fts5(
    meta, subject, from_, to_, cc, bcc, reply_to, message_id,
    subject_w, from_w, to_w, cc_w, bcc_w, reply_to_w, message_id_w, text_w, text,
    content='search_text', content_rowid='seq', columnsize=0,
    tokenize="ascii tokenchars '!""#$%&''()*+,-./:;<=>?@[\]^_`{|}~'"
);
CREATE VIRTUAL TABLE messages_search_terms USING fts5vocab(messages_search, 'col');
-- The vocabulary (sandbox/store/search_vocab.py): the tokens each message brought in, as one
-- row (`id`: its seq), under a trigram index.
CREATE TABLE search_vocab_batches (
    id INTEGER PRIMARY KEY,
    words TEXT NOT NULL,
    chunks TEXT NOT NULL
);
CREATE VIRTUAL TABLE search_vocab_fts USING fts5(
    words, chunks, content='search_vocab_batches', columnsize=0,
    tokenize='trigram case_sensitive 1'
);
-- The read (or unread) messages of a mailbox, for the counts: see messages.py.
CREATE INDEX messages_read ON messages(read, mailbox, seq);
-- Bumped by every change to stored messages but an arrival: the counts of a search are kept
-- (sandbox/store/matches.py) while it stays the same, and brought up to date with the arrivals.
CREATE TABLE search_generation (n INTEGER NOT NULL);
INSERT INTO search_generation (n) VALUES (0);
CREATE TRIGGER search_generation_delete AFTER DELETE ON messages BEGIN
    UPDATE search_generation SET n = n + 1;
END;
CREATE TRIGGER search_generation_read AFTER UPDATE OF read ON messages
WHEN old.read != new.read BEGIN
    UPDATE search_generation SET n = n + 1;
END;
-- The rebuild, in two steps: SQLite's parser allows about 30 nested calls.
CREATE TEMP TABLE search_rebuild AS
SELECT m.seq AS seq,
    'all mb' || lower(hex(m.mailbox)) || ' s' || m.seq
        || CASE WHEN m.attachments > 0 THEN ' att' ELSE '' END AS meta,
    coalesce(o.subject, '') AS subject,
    CASE WHEN m.message_id = '' THEN lower(m.id) || '@mailpit'
        ELSE coalesce(o.message_id, '') END AS message_id,
    trim(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(coalesce(o.from_, ''), '<', ' '), '>', ' '), '"', ' '), ',', ' '), ';', ' '), '(', ' '), ')', ' '), char(9), ' '), char(10), ' '), char(13), ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' ')) AS from_,
    trim(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(coalesce(o.to_, ''), '<', ' '), '>', ' '), '"', ' '), ',', ' '), ';', ' '), '(', ' '), ')', ' '), char(9), ' '), char(10), ' '), char(13), ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' ')) AS to_,
    trim(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(coalesce(o.cc, ''), '<', ' '), '>', ' '), '"', ' '), ',', ' '), ';', ' '), '(', ' '), ')', ' '), char(9), ' '), char(10), ' '), char(13), ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' ')) AS cc,
    trim(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(coalesce(o.bcc, ''), '<', ' '), '>', ' '), '"', ' '), ',', ' '), ';', ' '), '(', ' '), ')', ' '), char(9), ' '), char(10), ' '), char(13), ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' ')) AS bcc,
    trim(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(coalesce(o.reply_to, ''), '<', ' '), '>', ' '), '"', ' '), ',', ' '), ';', ' '), '(', ' '), ')', ' '), char(9), ' '), char(10), ' '), char(13), ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' ')) AS reply_to,
    trim(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(coalesce(o.from_, '') || ' ' || coalesce(o.subject, '') || ' ' || coalesce(o.to_, '') || ' ' || coalesce(o.cc, '') || ' ' || coalesce(o.bcc, '') || ' ' || coalesce(o.reply_to, '') || ' ' || lower(m.mail_from) || ' ' || coalesce(o.body, ''), '<', ' '), '>', ' '), '"', ' '), ',', ' '), ';', ' '), '(', ' '), ')', ' '), char(9), ' '), char(10), ' '), char(13), ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' ')) AS text,
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(coalesce(o.subject, ''), '<', ' '), '>', ' '), '"', ' '), ',', ' '), ';', ' '), '(', ' '), ')', ' '), char(9), ' '), char(10), ' '), char(13), ' ') AS subject_c,
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(coalesce(o.message_id, ''), '<', ' '), '>', ' '), '"', ' '), ',', ' '), ';', ' '), '(', ' '), ')', ' '), char(9), ' '), char(10), ' '), char(13), ' ') AS message_id_c
FROM messages m LEFT JOIN messages_fts o ON o.rowid = m.seq;
INSERT INTO search_text (seq, meta, subject, from_, to_, cc, bcc, reply_to, message_id, subject_w, from_w, to_w, cc_w, bcc_w, reply_to_w, message_id_w, text_w, text)
SELECT seq,
    meta,
    subject,
    from_,
    to_,
    cc,
    bcc,
    reply_to,
    message_id,
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(subject_c, '!', ' '), '#', ' '), '$', ' '), '%', ' '), '&', ' '), '''', ' '), '*', ' '), '+', ' '), '-', ' '), '.', ' '), '/', ' '), ':', ' '), '=', ' '), '?', ' '), '@', ' '), '[', ' '), '\', ' '), ']', ' '), '^', ' '), '_', ' '), '`', ' '), '{', ' '), '|', ' '), '}', ' '), '~', ' '),
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(from_, '!', ' '), '#', ' '), '$', ' '), '%', ' '), '&', ' '), '''', ' '), '*', ' '), '+', ' '), '-', ' '), '.', ' '), '/', ' '), ':', ' '), '=', ' '), '?', ' '), '@', ' '), '[', ' '), '\', ' '), ']', ' '), '^', ' '), '_', ' '), '`', ' '), '{', ' '), '|', ' '), '}', ' '), '~', ' '),
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(to_, '!', ' '), '#', ' '), '$', ' '), '%', ' '), '&', ' '), '''', ' '), '*', ' '), '+', ' '), '-', ' '), '.', ' '), '/', ' '), ':', ' '), '=', ' '), '?', ' '), '@', ' '), '[', ' '), '\', ' '), ']', ' '), '^', ' '), '_', ' '), '`', ' '), '{', ' '), '|', ' '), '}', ' '), '~', ' '),
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(cc, '!', ' '), '#', ' '), '$', ' '), '%', ' '), '&', ' '), '''', ' '), '*', ' '), '+', ' '), '-', ' '), '.', ' '), '/', ' '), ':', ' '), '=', ' '), '?', ' '), '@', ' '), '[', ' '), '\', ' '), ']', ' '), '^', ' '), '_', ' '), '`', ' '), '{', ' '), '|', ' '), '}', ' '), '~', ' '),
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(bcc, '!', ' '), '#', ' '), '$', ' '), '%', ' '), '&', ' '), '''', ' '), '*', ' '), '+', ' '), '-', ' '), '.', ' '), '/', ' '), ':', ' '), '=', ' '), '?', ' '), '@', ' '), '[', ' '), '\', ' '), ']', ' '), '^', ' '), '_', ' '), '`', ' '), '{', ' '), '|', ' '), '}', ' '), '~', ' '),
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(reply_to, '!', ' '), '#', ' '), '$', ' '), '%', ' '), '&', ' '), '''', ' '), '*', ' '), '+', ' '), '-', ' '), '.', ' '), '/', ' '), ':', ' '), '=', ' '), '?', ' '), '@', ' '), '[', ' '), '\', ' '), ']', ' '), '^', ' '), '_', ' '), '`', ' '), '{', ' '), '|', ' '), '}', ' '), '~', ' '),
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(message_id_c, '!', ' '), '#', ' '), '$', ' '), '%', ' '), '&', ' '), '''', ' '), '*', ' '), '+', ' '), '-', ' '), '.', ' '), '/', ' '), ':', ' '), '=', ' '), '?', ' '), '@', ' '), '[', ' '), '\', ' '), ']', ' '), '^', ' '), '_', ' '), '`', ' '), '{', ' '), '|', ' '), '}', ' '), '~', ' '),
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(text, '!', ' '), '#', ' '), '$', ' '), '%', ' '), '&', ' '), '''', ' '), '*', ' '), '+', ' '), '-', ' '), '.', ' '), '/', ' '), ':', ' '), '=', ' '), '?', ' '), '@', ' '), '[', ' '), '\', ' '), ']', ' '), '^', ' '), '_', ' '), '`', ' '), '{', ' '), '|', ' '), '}', ' '), '~', ' '),
    text
FROM search_rebuild;
DROP TABLE search_rebuild;
INSERT INTO messages_search (messages_search) VALUES ('rebuild');
-- The vocabulary of the messages kept: plain words (letters and digits; mailyard decides it per
-- token from now on, here tokens without ASCII punctuation) apart from other chunks, in rows
-- of 64 tokens numbered below 0 (a message's row is its seq).
CREATE TEMP TABLE vocab_rebuild AS
SELECT term, term NOT GLOB '*[]!-/:-@[-`{-~]*' AS plain,
    -1 - (row_number() OVER (ORDER BY term) - 1) / 64 AS batch
FROM (
    SELECT DISTINCT term FROM messages_search_terms
    WHERE col != 'meta' AND term != char(65534)
);
INSERT INTO search_vocab_batches (id, words, chunks)
SELECT batch,
    coalesce(group_concat(CASE WHEN plain THEN term END, ' '), ''),
    coalesce(group_concat(CASE WHEN NOT plain THEN term END, ' '), '')
FROM vocab_rebuild GROUP BY batch;
DROP TABLE vocab_rebuild;
INSERT INTO search_vocab_fts (search_vocab_fts) VALUES ('rebuild');
DROP TABLE messages_fts;
