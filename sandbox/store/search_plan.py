"""A compiled query (`search.Query`) made into SQL over the index (`search_index`).

Each needle becomes, in order of preference:

1. an OR of the vocabulary tokens that contain it (no white space in it): exact, and answered
   from the index's doclists alone;
2. a phrase of its chunks (white space in it): the first chunk any token ending with it, the
   last any token starting with it, those between exactly; exact, as the indexed text has
   single spaces between chunks;
3. a check of the stored text with `instr` (the subject or Message-ID with odd white space, a
   needle matching more than `MAX_TERMS` tokens): exact, and as slow as Mailpit's LIKE scan,
   narrowed by whatever else of the query the index can answer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from mailyard.sandbox.store import search_vocab
from mailyard.sandbox.store.search import Needle, Query
from mailyard.sandbox.store.search_index import (
    CHUNK_SPLIT,
    CJK_RE,
    PURE_WORD_RE,
    UNCLEANED,
    WORD_COLUMN,
    WORD_RE,
    mailbox_token,
)

# Tokens OR-ed for one needle: ~25 us each to look up, and FTS5 steps through every OR branch
# for every row (~0.7 ms per 1,000 rows x 100 branches: fine for rare tokens).
MAX_TERMS = 256
MAX_PHRASES = 16  # phrases OR-ed for one needle
_FETCH = 512  # vocabulary rows read to find those tokens


@dataclass(frozen=True)
class Plan:
    """`match`: an FTS5 expression over `messages_search` (None: the index is not needed for
    matching); `where`/`params`: SQL over `messages m` and `search_text t`;
    `uses_text`: `where` reads the stored text (t); `on_messages`: `where` reads `messages`
    beyond `read`; `read`: the read states allowed; `empty`: nothing can match;
    `excluded`: when the query only excludes, the expression of what it excludes (within
    `match`'s mailbox), so that its matches can be counted as the mailbox less those."""

    match: str | None
    where: str
    params: tuple[object, ...]
    uses_text: bool
    on_messages: bool
    read: frozenset[int]
    empty: bool = False
    excluded: str | None = None


@dataclass(frozen=True)
class _Resolved:
    expr: str | None = None  # FTS5 expression for the needle (exact unless `check` is set)
    check: str | None = None  # SQL over f that decides exactly
    params: tuple[object, ...] = ()
    never: bool = False  # no token holds it: no message can


def quote(token: str) -> str:
    """An FTS5 string: the token, its `"` doubled."""
    return '"' + token.replace('"', '""') + '"'


def plan(conn: sqlite3.Connection, query: Query, mailbox: str | None) -> Plan:
    """The SQL for `query` within `mailbox` (None: every mailbox)."""
    positive: list[str] = []
    negative: list[str] = []
    where: list[str] = list(query.where)
    params: list[object] = list(query.params)
    uses_text = False
    for name, negate in (*((mailbox_token(b), n) for b, n in query.mailboxes), *query.flags):
        (negative if negate else positive).append(f"{{meta}} : {name}")
    for needle in query.needles:
        found = _resolve(conn, needle)
        if found.never:
            if needle.negate:
                continue
            return Plan(None, "0", (), False, False, query.read, empty=True)
        if found.check is not None:
            uses_text = True
            where.append(f"NOT ({found.check})" if needle.negate else found.check)
            params.extend(found.params)
            if not needle.negate and found.expr is not None:
                positive.append(found.expr)
        elif found.expr is not None:
            (negative if needle.negate else positive).append(found.expr)
    if mailbox is not None:
        positive.insert(0, f"{{meta}} : {mailbox_token(mailbox)}")
        where.insert(0, "m.mailbox = ?")
        params.insert(0, mailbox)
    match = excluded = None
    if positive or negative:
        base = " AND ".join(f"({p})" for p in positive) or "{meta} : all"
        match = base + "".join(f" NOT ({n})" for n in negative)
        if negative and len(positive) == (mailbox is not None):
            excluded = f"({base}) AND (" + " OR ".join(f"({n})" for n in negative) + ")"
    if not query.read:
        return Plan(None, "0", (), False, False, query.read, empty=True)
    if query.read != {0, 1}:
        where.append(f"m.read = {next(iter(query.read))}")
    return Plan(
        match,
        " AND ".join(where) or "1",
        tuple(params),
        uses_text,
        bool(query.where),
        query.read,
        excluded=excluded,
    )


def _resolve(conn: sqlite3.Connection, needle: Needle) -> _Resolved:
    text = needle.text
    chunks = [c for c in CHUNK_SPLIT.split(text) if c]
    if not chunks:  # white space only (a subject: term): nothing narrows it
        return _check(needle)
    odd_space = " ".join(chunks) != text or (
        len(chunks) > 1 and any(c in UNCLEANED for c in needle.columns)
    )
    if len(chunks) > 1:
        found = _phrase(conn, needle.columns, chunks)
        if found is None:  # too many tokens end with the first chunk: narrow by the rest
            rest = quote(" ".join(chunks[1:])) + " *"
            return _check(needle, _scoped(needle.columns, rest))
        if odd_space and not found.never:
            return _check(needle, found.expr)
        return found
    if odd_space:
        return _check(needle)
    chunk = chunks[0]
    if PURE_WORD_RE.fullmatch(chunk) and CJK_RE.search(chunk):
        found = _cjk_phrase(conn, needle.columns, chunk)
        return found or _check(needle)
    plain = bool(PURE_WORD_RE.fullmatch(chunk))
    terms = _containing(conn, chunk, words_only=plain)
    if terms is None:
        return _check(needle)
    if not terms:
        return _Resolved(never=True)
    columns = needle.columns
    if plain:  # plain words inside other chunks are in the words columns
        columns += tuple(WORD_COLUMN[c] for c in needle.columns)
    return _Resolved(_scoped(columns, " OR ".join(quote(t) for t in terms)))


def _check(needle: Needle, rough: str | None = None) -> _Resolved:
    tests = " OR ".join(f"instr(t.{c}, ?) > 0" for c in needle.columns)
    return _Resolved(rough, f"({tests})", (needle.text,) * len(needle.columns))


def _scoped(columns: tuple[str, ...], expression: str) -> str:
    return "{" + " ".join(columns) + "} : (" + expression + ")"


def _containing(
    conn: sqlite3.Connection,
    needle: str,
    *,
    words_only: bool,
    most: int = MAX_TERMS,
    keep: Callable[[str], bool] | None = None,
) -> list[str] | None:
    """The vocabulary's tokens that contain `needle` (only plain words with `words_only`,
    only those `keep` accepts); None when there are more than `most`."""
    return search_vocab.containing(
        conn, needle, words_only=words_only, fetch=_FETCH, most=most, keep=keep
    )


def _phrase(
    conn: sqlite3.Connection, columns: tuple[str, ...], chunks: list[str]
) -> _Resolved | None:
    """`chunks` in a row: the first the end of a token, the last the start of one. The
    tokens they may be are looked up; when the last may be too many, it is left to FTS5 as a
    prefix (which reads the doclists of every token starting so)."""
    # More than MAX_PHRASES of either and the phrases are not spelt out: no need to know them.
    first, last = chunks[0], chunks[-1]
    ends = _containing(
        conn, first, words_only=False, most=MAX_PHRASES, keep=lambda t: t.endswith(first)
    )
    if ends is None:
        return None
    starts = _containing(
        conn, last, words_only=False, most=MAX_PHRASES, keep=lambda t: t.startswith(last)
    )
    if not ends or starts == []:
        return _Resolved(never=True)
    middle = chunks[1:-1]
    if starts is not None and len(ends) * len(starts) <= MAX_PHRASES:
        rows = [[end, *middle, start] for end in ends for start in starts]
        phrases = " OR ".join(quote(" ".join(row)) for row in rows)
    elif len(ends) <= MAX_PHRASES:
        phrases = " OR ".join(quote(" ".join([end, *chunks[1:]])) + " *" for end in ends)
    else:
        return None
    return _Resolved(_scoped(columns, phrases))


def _cjk_phrase(conn: sqlite3.Connection, columns: tuple[str, ...], chunk: str) -> _Resolved | None:
    """A needle of letters with CJK characters, as words in a row in the `_w` columns: each
    CJK character is a word; a leading run of other letters ends a word, a trailing one starts
    one."""
    found = WORD_RE.findall(chunk)
    starts = [""]
    if not CJK_RE.fullmatch(found[0]):
        head = found[0]
        ending = _containing(
            conn, head, words_only=True, most=MAX_PHRASES, keep=lambda t: t.endswith(head)
        )
        if ending is None:
            return None
        if not ending:
            return _Resolved(never=True)
        starts, found = ending, found[1:]
    star = " *" if found and not CJK_RE.fullmatch(found[-1]) else ""
    phrases = " OR ".join(quote(" ".join(filter(None, [start, *found]))) + star for start in starts)
    return _Resolved(_scoped(tuple(WORD_COLUMN[c] for c in columns), phrases))
