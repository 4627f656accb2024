-- Issue 12: the provider's message id (SES MessageId, Resend id; `messages.provider_id`, 0004)
-- is found by a free-text search. New messages end their free text (`search_text.text`) with it,
-- as whole chunks (`search_index.provider_chunks`); this writes the same for messages stored
-- before, and puts the ids in the vocabulary, so that a substring of one finds it too.
--
-- Only ids our emulators make are rewritten here (letters, digits and `-`: SES's and Resend's
-- forms), which `lower` folds as `casefold` does and which are one chunk each. A message whose
-- text already ends with its id is left alone, so that running this again changes nothing.
-- Set-based, three statements over the messages that have an id: well under a second for
-- 100,000 of them.
DROP TABLE IF EXISTS temp.provider_search;
CREATE TEMP TABLE provider_search AS
SELECT t.seq AS seq, lower(m.provider_id) AS pid
FROM messages m JOIN search_text t ON t.seq = m.seq
WHERE m.provider_id != ''
    AND lower(m.provider_id) NOT GLOB '*[^0-9a-z-]*'
    AND substr(t.text, -length(m.provider_id) - 1) != ' ' || lower(m.provider_id)
    AND t.text != lower(m.provider_id);

-- The index's content is `search_text` (external content): each row is taken out of the index
-- with what it held, changed, and put back.
INSERT INTO messages_search (messages_search, rowid, meta, subject, from_, to_, cc, bcc,
    reply_to, message_id, subject_w, from_w, to_w, cc_w, bcc_w, reply_to_w, message_id_w,
    text_w, text)
SELECT 'delete', t.seq, t.meta, t.subject, t.from_, t.to_, t.cc, t.bcc, t.reply_to,
    t.message_id, t.subject_w, t.from_w, t.to_w, t.cc_w, t.bcc_w, t.reply_to_w, t.message_id_w,
    t.text_w, t.text
FROM search_text t WHERE t.seq IN (SELECT seq FROM provider_search);

UPDATE search_text
SET text = CASE WHEN text = '' THEN '' ELSE text || ' ' END
    || (SELECT p.pid FROM provider_search p WHERE p.seq = search_text.seq)
WHERE seq IN (SELECT seq FROM provider_search);

INSERT INTO messages_search (rowid, meta, subject, from_, to_, cc, bcc, reply_to, message_id,
    subject_w, from_w, to_w, cc_w, bcc_w, reply_to_w, message_id_w, text_w, text)
SELECT t.seq, t.meta, t.subject, t.from_, t.to_, t.cc, t.bcc, t.reply_to, t.message_id,
    t.subject_w, t.from_w, t.to_w, t.cc_w, t.bcc_w, t.reply_to_w, t.message_id_w, t.text_w,
    t.text
FROM search_text t WHERE t.seq IN (SELECT seq FROM provider_search);

-- The vocabulary: one row for all of them.
INSERT INTO search_vocab_batches (words, chunks)
SELECT coalesce(group_concat(CASE WHEN instr(pid, '-') = 0 THEN pid END, ' '), ''),
    coalesce(group_concat(CASE WHEN instr(pid, '-') > 0 THEN pid END, ' '), '')
FROM provider_search HAVING count(*) > 0;

INSERT INTO search_vocab_fts (rowid, words, chunks)
SELECT id, words, chunks FROM search_vocab_batches
WHERE id = (SELECT max(id) FROM search_vocab_batches)
    AND (SELECT count(*) FROM provider_search) > 0;

DROP TABLE provider_search;
