"""What the search index holds for a message, and the vocabulary that turns substrings into words.

Substring search, made from whole-token lookups (migration 0003 has the measurements):

- Each text column holds the searched text itself (folded; cleaned as Mailpit cleans it, except
  the subject and Message-ID, which Mailpit matches as written) and is split into *chunks* at
  white space only, so `jane@example.com` and `zebra-quokka` are one token each. A needle
  without white space lies inside one chunk, so it matches exactly the chunks that contain it.
- Beside each, a `_w` column holds the *words* (runs of letters and digits; each Chinese,
  Japanese or Korean character one word) of the chunks that have anything else in them, each
  chunk's words closed by `MARK`. A needle of letters and digits only is then matched through
  words, so "example" does not have to look through every address and link that contains it.
- The vocabulary (`search_vocab`) holds every token, under a trigram index: the tokens that
  contain a needle are found there in about a millisecond, and the message index is then
  asked for those tokens.
- `meta` holds tokens the counts and filters need without touching `messages`: `all`, the
  mailbox, `att` (attachments), `inl` (inline parts), and `s<seq>`.

"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from typing import TYPE_CHECKING

from mailyard.sandbox.store.search import clean, fold

if TYPE_CHECKING:
    from mailyard.sandbox.mail.summary import Address, Summary

MARK = "\ufffe"  # closes one chunk's words: a phrase never runs from one chunk into the next
TEXT_COLUMNS = ("subject", "from_", "to_", "cc", "bcc", "reply_to", "message_id", "text")
WORD_COLUMN = {c: c.rstrip("_") + "_w" for c in TEXT_COLUMNS}  # from_ -> from_w
COLUMNS = ("meta", *TEXT_COLUMNS[:-1], *WORD_COLUMN.values(), "text")  # long `text` last
UNCLEANED = ("subject", "message_id")  # matched as written, white space and all
ADDRESSES = ("from_", "to_", "cc", "bcc", "reply_to")
# The columns whose tokens (and their words') make the vocabulary: the addresses' are all in
# `text` too.
VOCABULARY_COLUMNS = ("text", "subject", "message_id")

_CJK = (
    "\u3040-\u30ff\u3100-\u312f\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f"
)
# What the index's tokenizer (ascii, every ASCII punctuation a token character) splits on.
CHUNK_SPLIT = re.compile(r"[\x00-\x20\x7f]+")
CJK_RE = re.compile(f"[{_CJK}]")
WORD_RE = re.compile(rf"[{_CJK}]|(?:(?![{_CJK}])[^\W_])+")
PURE_WORD_RE = re.compile(r"[^\W_]+")
# Where str.split() and the index's tokenizer could split differently: ASCII control
# characters (the tokenizer splits there) and white space beyond ASCII (it does not).
_ODD_SPACE = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)


# What makes a chunk need its words listed; and any white space but the plain space.
_NOT_PLAIN = re.compile(rf"[^\w\s]|_|[{_CJK}]")
_NOT_ALNUM_ASCII = re.compile("[^0-9A-Za-z ]")
_NOT_SPACE_ONLY = re.compile(
    "[\x00-\x1f\x7f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)


def chunks(text: str) -> list[str]:
    """`text` split as the index's tokenizer splits it: at ASCII white space and controls."""
    return CHUNK_SPLIT.split(text) if _ODD_SPACE.search(text) else text.split()


def words(text: str, parts: list[str] | None = None) -> str:
    """The `_w` column of `text` (split into `parts` by `chunks()`, if done already): the
    words of each chunk that is not one plain word (a letter or digit that is not one, or a
    CJK character, makes it so)."""
    if _NOT_SPACE_ONLY.search(text):
        return _words_of(chunks(text) if parts is None else parts)
    # Single spaces only (cleaned text): jump from one such chunk to the next in C rather
    # than look at every chunk in Python (5x faster on mail text, where few chunks qualify).
    out: list[str] = []
    at = 0
    not_plain = _NOT_ALNUM_ASCII if text.isascii() else _NOT_PLAIN
    while found := not_plain.search(text, at):
        start = text.rfind(" ", 0, found.start()) + 1
        at = text.find(" ", found.start())
        at = len(text) if at < 0 else at
        out += [" ".join(WORD_RE.findall(text, start, at)), MARK]
    return " ".join(w for w in out if w)


def _words_of(parts: list[str]) -> str:
    out = []
    for chunk in parts:
        if not chunk.isalnum() or (not chunk.isascii() and CJK_RE.search(chunk)):
            out += [" ".join(WORD_RE.findall(chunk)), MARK]
    return " ".join(w for w in out if w)


def shown_message_id(message_id: str, id_: str) -> str:
    """The Message-ID as Mailpit shows (and searches) it: the header's, or for a message
    without one, the id Mailpit would have written in (`<ID>@mailpit`; we keep the raw bytes)."""
    return message_id or f"{id_}@mailpit"


def mailbox_token(mailbox: str) -> str:
    return "mb" + mailbox.encode().hex()


def people(addresses: Iterable[Address]) -> str:
    """An address list as its search text: each "Name <address>", cleaned."""
    return clean(", ".join(f"{a.name} <{a.address}>" for a in addresses))


def _addresses(summary: Summary, column: str) -> Iterable[Address]:
    if column == "from_":
        return [summary.sender] if summary.sender else []
    lists = {"to_": summary.to, "cc": summary.cc, "bcc": summary.bcc}
    return lists.get(column, summary.reply_to)


def column_text(
    summary: Summary, column: str, mail_from: str, message_id: str, provider_id: str = ""
) -> str:
    """One text column of a message: `summary` is a `Summary`, `mail_from` the envelope
    sender (Mailpit's Return-Path), `message_id` the Message-ID Mailpit would show,
    `provider_id` the provider's id of a message sent through its API."""
    if column == "subject":
        return fold(summary.subject)
    if column == "message_id":
        return fold(message_id)
    if column != "text":
        return people(_addresses(summary, column))
    addresses = {c: people(_addresses(summary, c)) for c in ADDRESSES}
    text = _free_text(summary, addresses, mail_from)
    return " ".join([text, *provider_chunks(provider_id)]) if provider_id else text


def _free_text(summary: Summary, addresses: dict[str, str], mail_from: str) -> str:
    """Mailpit's createSearchText: From, Subject, To, Cc, Bcc, Reply-To, Return-Path, the
    body, the attachments' names; cleaned."""
    parts = [addresses["from_"], summary.subject]
    parts += [addresses[c] for c in ("to_", "cc", "bcc", "reply_to")]
    parts += [mail_from, summary.body_text]
    return clean(" ".join([*parts, *summary.attachment_names]))


def provider_chunks(provider_id: str) -> list[str]:
    """The provider's message id (SES MessageId, Resend id) as it ends the free text: issue 12
    asks for it to be found by a free-text search. Whole chunks only, without their words
    (its parts are random: each would be a new token in the index and the vocabulary, ~100 us
    a message), so the whole id is found, or any piece of it holding a `-`; migration 0008
    writes the same for messages stored before."""
    return chunks(clean(provider_id)) if provider_id else []


def columns(
    summary: Summary, mail_from: str, message_id: str, provider_id: str = ""
) -> dict[str, str]:
    """Every column of a message but `meta` (see `column_text`)."""
    return columns_and_terms(summary, mail_from, message_id, provider_id)[0]


def columns_and_terms(
    summary: Summary, mail_from: str, message_id: str, provider_id: str = ""
) -> tuple[dict[str, str], set[str]]:
    """`columns()`, and the tokens of the vocabulary's columns (each text is split once)."""
    found = {c: people(_addresses(summary, c)) for c in ADDRESSES}
    found["text"] = _free_text(summary, found, mail_from)
    found["subject"] = fold(summary.subject)
    found["message_id"] = fold(message_id)
    terms: set[str] = set()
    for name in TEXT_COLUMNS:
        parts = chunks(found[name])
        found[WORD_COLUMN[name]] = word_text = words(found[name], parts)
        if name in VOCABULARY_COLUMNS:
            terms.update(parts)
            terms.update(chunks(word_text))
    if provider_id:  # after the words, which it does not bring (`provider_chunks`)
        ids = provider_chunks(provider_id)
        found["text"] = " ".join([found["text"], *ids])
        terms.update(ids)
    return found, terms


def meta(seq: int, mailbox: str, attachments: int, inlines: int) -> str:
    tokens = ["all", mailbox_token(mailbox), f"s{seq}"]
    if attachments > 0:
        tokens.append("att")
    if inlines > 0:
        tokens.append("inl")
    return " ".join(tokens)


_INSERT = f"VALUES (?{', ?' * len(COLUMNS)})"
_DELETE = f"VALUES ('delete', ?{', ?' * len(COLUMNS)})"


def index(conn: sqlite3.Connection, seq: int, texts: dict[str, str]) -> None:
    """Store and index a message's columns (`texts`, `meta` included)."""
    values = (seq, *(texts[c] for c in COLUMNS))
    conn.execute(f"INSERT INTO search_text (seq, {', '.join(COLUMNS)}) {_INSERT}", values)
    conn.execute(f"INSERT INTO messages_search (rowid, {', '.join(COLUMNS)}) {_INSERT}", values)


def unindex(conn: sqlite3.Connection, seqs: list[int] | list[str]) -> None:
    """Take messages out of the index. Its content is ours (`search_text`), so FTS5 is told
    what each held, one row a statement: a statement writing several rows of an FTS5 table
    opens a statement savepoint, at which FTS5 flushes what it holds pending to disk."""
    marks = ",".join("?" * len(seqs))
    rows = conn.execute(
        f"SELECT seq, {', '.join(COLUMNS)} FROM search_text WHERE seq IN ({marks})", seqs
    ).fetchall()
    table = "messages_search"
    conn.executemany(f"INSERT INTO {table} ({table}, rowid, {', '.join(COLUMNS)}) {_DELETE}", rows)
    conn.execute(f"DELETE FROM search_text WHERE seq IN ({marks})", seqs)


def clear(conn: sqlite3.Connection) -> None:
    """Empty the index (every message was deleted)."""
    conn.execute("DELETE FROM search_text")
    conn.execute("INSERT INTO messages_search (messages_search) VALUES ('delete-all')")
