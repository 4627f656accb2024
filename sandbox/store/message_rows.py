"""Row work on the messages tables: the SQL building blocks shared by reads and writes (IDs
and seqs in chunks of bound variables, a WHERE limited to one mailbox) and the steps a write job
runs inside its transaction (indexing a new message for search, mapping IDs to seqs and back,
deleting messages by seq with their bytes, tags and index rows, pruning to a count).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mailyard.sandbox.events import MessagesDeleted
from mailyard.sandbox.store import search_vocab
from mailyard.sandbox.store.records import Envelope
from mailyard.sandbox.store.writer import Tx

if TYPE_CHECKING:
    from mailyard.sandbox.mail.summary import Summary
    from mailyard.sandbox.store.matches import Matches

CHUNK = 500  # SQLite's default limit of bound variables is far above this


def chunks(items: list[int] | list[str]) -> Iterator[list[int] | list[str]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def scope(
    mailbox: str | None, where: str = "1", params: tuple[object, ...] = ()
) -> tuple[str, tuple[object, ...]]:
    """`where` limited to one mailbox (over `messages m`), or unchanged for all mailboxes."""
    if mailbox is None:
        return where, params
    return f"m.mailbox = ? AND ({where})", (mailbox, *params)


def matching(tx: Tx, matches: Matches) -> list[int]:
    where, params = matches.where
    return [r[0] for r in tx.execute(f"SELECT m.seq FROM {matches.source} WHERE {where}", params)]


def index_message(
    tx: Tx,
    vocabulary: search_vocab.Vocabulary,
    seq: int,
    message_id: str,
    envelope: Envelope,
    summary: Summary,
) -> None:
    """Add the message to the search index (`search_index`), its new tokens to the
    vocabulary. Not a trigger, and one row a statement: see migration 0001."""
    # Imported here: the search stack (its Unicode regexes) loads with the first message, not
    # with `mailyard serve`'s start (issue 10).
    from mailyard.sandbox.store import search_index

    shown_id = search_index.shown_message_id(summary.message_id, message_id)
    texts, terms = search_index.columns_and_terms(
        summary, envelope.mail_from, shown_id, envelope.provider_id
    )
    vocabulary.add(tx, terms)
    texts["meta"] = search_index.meta(seq, envelope.mailbox, summary.attachments, summary.inlines)
    search_index.index(tx.conn, seq, texts)


def seqs_for_ids(tx: Tx, ids: list[str], mailbox: str | None) -> list[int]:
    seqs: list[int] = []
    for chunk in chunks(ids):
        marks = ",".join("?" * len(chunk))
        where, params = scope(mailbox, f"m.id IN ({marks})", tuple(chunk))
        seqs += [r[0] for r in tx.execute(f"SELECT m.seq FROM messages m WHERE {where}", params)]
    return seqs


def ids_of(tx: Tx, seqs: list[int]) -> list[str]:
    ids: list[str] = []
    for chunk in chunks(seqs):
        marks = ",".join("?" * len(chunk))
        ids += [r[0] for r in tx.execute(f"SELECT id FROM messages WHERE seq IN ({marks})", chunk)]
    return ids


def delete_seqs(
    tx: Tx,
    seqs: list[int],
    vocabulary: search_vocab.Vocabulary,
    pruner: search_vocab.Pruner,
    reason: str = "delete",
) -> int:
    if not seqs:
        return 0
    from mailyard.sandbox.store import search_index  # see index_message

    ids = ids_of(tx, seqs)
    for chunk in chunks(seqs):
        marks = ",".join("?" * len(chunk))
        for table, column in (
            ("messages", "seq"),
            ("message_data", "seq"),
            ("message_tags", "seq"),
        ):
            tx.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", chunk)
        search_index.unindex(tx.conn, chunk)
    if pruner.deleted(tx.conn, len(seqs)):
        vocabulary.forget()
    tx.emit(MessagesDeleted(tuple(ids), None, reason))
    return len(seqs)


def prune_to_count(
    tx: Tx, keep: int, vocabulary: search_vocab.Vocabulary, pruner: search_vocab.Pruner
) -> int:
    total = tx.execute("SELECT sum(total) FROM mailbox_stats").fetchone()[0] or 0
    excess = int(total) - keep
    if excess <= 0:
        return 0
    seqs = [r[0] for r in tx.execute("SELECT seq FROM messages ORDER BY seq LIMIT ?", (excess,))]
    return delete_seqs(tx, seqs, vocabulary, pruner, reason="prune")
