"""Mailpit's search syntax, read term by term as Mailpit reads it (`internal/storage/search.go`).

    invoice "order shipped" from:jane to:example.com subject:"reset your" -is:read !tag:old
    has:attachment has:inline before:2026/12/01 after:"2026-01-01 10:00" larger:10k mailbox:ci

Terms are split on spaces outside double quotes, and every `"` is then dropped. A term starting
with `-` or `!` excludes. Each term is the first of these that fits (keywords in any case):
`to: from: cc: bcc: reply-to: addressed: subject: message-id: tag:`, `is:read|unread|tagged`,
`has:attachment(s)|inline(s)`, `after: before:` (an unreadable date is ignored), `larger:
smaller:` (an unreadable size makes the whole term text), and mailyard's `mailbox:`; anything
else is free text. Every term must hold (AND); an empty field value is ignored.

Text matches as a substring, case-insensitively: `voice` finds "invoice", `subject:elcom`
finds "Welcome". Free text searches what Mailpit's SearchText holds (the From, Subject, To, Cc,
Bcc, Reply-To and Return-Path headers, the body, the attachments' names), punctuation `<>",;()`
and runs of white space read as one space, as Mailpit cleans it; field terms search their field.

Where this differs from Mailpit, on purpose: matching is Unicode case-insensitive everywhere
(casefolded: `subject:JÜRGEN` finds "Jürgen", which SQLite's ASCII-only LIKE misses); `%` and `_`
are literal (Mailpit means them so, but its `%%` escape leaves them wildcards); address terms
search "Name address" pairs, not their JSON (`to:address` does not match every message); the
`after:`/`before:` relative forms `30m 2h 7d 1w` are read as ages (Mailpit ignores them); more
than `MAX_TERMS` terms or `MAX_QUERY` characters are refused (bounded work).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Literal

from mailyard.sandbox.errors import QueryError
from mailyard.sandbox.store.search_dates import parse_when, zone

MAX_QUERY = 4096
MAX_TERMS = 64

# Go's unicode.IsSpace: what strings.Fields and strings.TrimSpace split and trim on.
GO_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + ("\u2028\u2029\u202f\u205f\u3000")
)
_FIELDS_RE = re.compile(f"[{GO_SPACE}]+")
# Python's str.split() splits on Go's spaces and on these four, which Go keeps.
_INFO_SEPARATORS = re.compile("[\x1c-\x1f]")
# Mailpit's cleanString: these become spaces (utils.go).
_CLEAN = str.maketrans(dict.fromkeys('\r\n\t<>",;()\ufeff', " "))
# sizeToBytes, with Go's ASCII \d and \s.
_SIZE_RE = re.compile(r"^([0-9]+)(\.[0-9]+)?[\t\n\f\r ]?([a-z]{1,2})?$")

ADDRESS_COLUMNS = ("from_", "to_", "cc", "bcc", "reply_to")
TEXT_FIELDS = {
    "to:": ("to_",),
    "from:": ("from_",),
    "cc:": ("cc",),
    "bcc:": ("bcc",),
    "reply-to:": ("reply_to",),
    "addressed:": ("to_", "from_", "cc", "bcc", "reply_to"),
}


def fold(text: str) -> str:
    """Unicode case folding, the one case rule of both the index and the query."""
    return text.casefold()


def clean(text: str) -> str:
    """Mailpit's cleanString (folded): `<>",;()`, tabs and newlines become spaces, runs of
    white space one space, trimmed."""
    spaced = fold(text).translate(_CLEAN)
    if _INFO_SEPARATORS.search(spaced):
        return " ".join(_FIELDS_RE.split(spaced)).strip(" ")
    return " ".join(spaced.split())  # the same, several times faster


def args(query: str) -> list[str]:
    """Mailpit's ArgsParser: split on spaces outside double quotes, drop every `"`, trim."""
    found, current, quoted = [], [], False
    for char in query:
        if char == '"':
            quoted = not quoted
            current.append(char)
        elif char == " " and not quoted:
            found.append("".join(current))
            current = []
        else:
            current.append(char)
    found.append("".join(current))
    return [v for v in (part.replace('"', "").strip(GO_SPACE) for part in found) if v]


def size_to_bytes(value: str) -> int:
    """Mailpit's sizeToBytes: `500`, `10k`, `1.5mb`; 0 when unreadable (or another unit)."""
    match = _SIZE_RE.match(value.lower()) if len(value) <= 40 else None
    if not match:
        return 0
    number = float(match.group(1) + (match.group(2) or ""))
    factor = {None: 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2}.get(match.group(3))
    if factor is None:
        return 0
    return min(int(number * factor), 2**63 - 1)


@dataclass(frozen=True)
class Needle:
    """A substring that must (or, negated, must not) be in one of `columns`' text."""

    columns: tuple[str, ...]
    text: str
    negate: bool = False


_EFFECTS = {
    "ignored": "it was ignored",
    "text": "it was searched as text",
    "zone": "the server's time zone was used",
}


@dataclass(frozen=True)
class Note:
    """A term read other than as it was probably meant: `term` as typed, `why` (e.g. "is not
    a date"), and what Mailpit's reading did with it instead."""

    term: str
    why: str
    effect: Literal["ignored", "text", "zone"]

    @property
    def message(self) -> str:
        """The note as a sentence: "before:notadate is not a date, so it was ignored"."""
        return f"{self.term} {self.why}, so {_EFFECTS[self.effect]}"


@dataclass(frozen=True)
class Query:
    """A query read into its parts, all of which must hold.

    `needles`: text conditions; `flags`: index tokens (`att`, `inl`) with their negation;
    `read`: the read states allowed (empty: none can match); `where`/`params`: conditions
    over `messages m`; `mailbox`: mailyard's `mailbox:` term; `notes`: the terms read other
    than as typed (they change no matching)."""

    needles: tuple[Needle, ...] = ()
    flags: tuple[tuple[str, bool], ...] = ()
    read: frozenset[int] = frozenset({0, 1})
    where: tuple[str, ...] = ()
    params: tuple[object, ...] = ()
    mailboxes: tuple[tuple[str, bool], ...] = ()
    notes: tuple[Note, ...] = field(default=(), compare=False)

    @property
    def everything(self) -> bool:
        """True when no term restricts anything (an empty query, or only ignored terms)."""
        return not (
            self.needles or self.flags or self.where or self.mailboxes or self.read != {0, 1}
        )


@dataclass
class _Builder:
    needles: list[Needle] = field(default_factory=list)
    flags: list[tuple[str, bool]] = field(default_factory=list)
    read: set[int] = field(default_factory=lambda: {0, 1})
    where: list[str] = field(default_factory=list)
    params: list[object] = field(default_factory=list)
    mailboxes: list[tuple[str, bool]] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    def condition(self, sql: str, *params: object) -> None:
        self.where.append(sql)
        self.params.extend(params)

    def build(self) -> Query:
        return Query(
            tuple(self.needles),
            tuple(self.flags),
            frozenset(self.read),
            tuple(self.where),
            tuple(self.params),
            tuple(self.mailboxes),
            tuple(self.notes),
        )


_TAGGED = "EXISTS (SELECT 1 FROM message_tags t WHERE t.seq = m.seq)"
_TAG = "EXISTS (SELECT 1 FROM message_tags t WHERE t.seq = m.seq AND t.tag = ? COLLATE NOCASE)"


def compile_query(query: str, tz: str | None = None, *, now: float) -> Query:
    """Read `query` as Mailpit does. Raises QueryError only past the size bounds: Mailpit
    refuses no query (an unknown `tz` is the local zone, an unreadable date is ignored)."""
    if len(query) > MAX_QUERY:
        raise QueryError(f"the query is longer than {MAX_QUERY} characters")
    terms = args(query)
    if len(terms) > MAX_TERMS:
        raise QueryError(f"the query has more than {MAX_TERMS} terms")
    where_zone = zone(tz)
    out = _Builder()
    if tz and tz != "Local" and where_zone is None:
        out.notes.append(Note(f"tz={tz}", "is not a known time zone", "zone"))
    for term in terms:
        if clean(term) == "":
            continue
        _term(out, term, where_zone, now)
    return out.build()


def _term(out: _Builder, typed: str, where_zone: tzinfo | None, now: float) -> None:
    negate = len(typed) > 1 and typed[0] in "-!"
    term = typed[1:] if negate else typed
    lowered = term.lower()
    empty = Note(typed, "has no value", "ignored")
    for prefix, columns in TEXT_FIELDS.items():
        if lowered.startswith(prefix):
            needle = clean(term[len(prefix) :])
            if needle:
                out.needles.append(Needle(columns, needle, negate))
            else:
                out.notes.append(empty)
            return
    if lowered.startswith("subject:"):
        if term[8:]:  # Mailpit matches the subject as typed, uncleaned
            out.needles.append(Needle(("subject",), fold(term[8:]), negate))
        else:
            out.notes.append(empty)
    elif lowered.startswith("message-id:"):
        needle = clean(term[11:])
        if needle:
            out.needles.append(Needle(("message_id",), needle, negate))
        else:
            out.notes.append(empty)
    elif lowered.startswith("tag:"):
        name = clean(term[4:])
        if name:
            out.condition(f"NOT {_TAG}" if negate else _TAG, name)
        else:
            out.notes.append(empty)
    elif lowered in ("is:read", "is:unread"):
        wanted = int(lowered == "is:read") ^ int(negate)
        out.read &= {wanted}
    elif lowered == "is:tagged":
        out.condition(f"NOT {_TAGGED}" if negate else _TAGGED)
    elif lowered in ("has:inline", "has:inlines"):
        out.flags.append(("inl", negate))
    elif lowered in ("has:attachment", "has:attachments"):
        out.flags.append(("att", negate))
    elif lowered.startswith(("after:", "before:")):
        after = lowered.startswith("after:")
        if not _date(out, after, term.split(":", 1)[1], negate, where_zone, now):
            value = clean(term.split(":", 1)[1])
            out.notes.append(Note(typed, "is not a date", "ignored") if value else empty)
    elif lowered.startswith(("larger:", "smaller:")) and size_to_bytes(
        clean(term.split(":", 1)[1])
    ):
        size = size_to_bytes(clean(term.split(":", 1)[1]))
        larger = lowered.startswith("larger:") != negate
        out.condition("m.size > ?" if larger else "m.size < ?", size)
    elif lowered.startswith("mailbox:"):
        if term[8:]:
            out.mailboxes.append((term[8:], negate))
        else:
            out.notes.append(empty)
    else:
        out.needles.append(Needle(("text",), clean(term), negate))
        _explain_text(out, typed, lowered)


# What a known keyword with an unknown value is told it is not, when it is searched as text.
_KNOWN = {
    "is:": "is not one of is:read, is:unread, is:tagged",
    "has:": "is not one of has:attachment, has:inline",
    "larger:": "is not a size (such as 500, 10k, 1.5mb)",
    "smaller:": "is not a size (such as 500, 10k, 1.5mb)",
}


def _explain_text(out: _Builder, typed: str, lowered: str) -> None:
    """Note a term searched as text that was probably meant as a keyword (Mailpit's reading
    of an unknown `is:`/`has:` value or an unreadable size)."""
    for prefix, why in _KNOWN.items():
        if lowered.startswith(prefix):
            out.notes.append(Note(typed, why, "text"))
            return


def _date(
    out: _Builder, after: bool, value: str, negate: bool, where_zone: tzinfo | None, now: float
) -> bool:
    """`after:` is `Created >= t`, `before:` `Created <= t` (both inclusive, in Mailpit's
    milliseconds); negated, `<= t` and `>= t`. An unreadable date is ignored, as Mailpit does:
    False then."""
    millis = parse_when(clean(value).upper(), where_zone, now)
    if millis is None:
        return False
    at_least = after != negate  # Created >= millis, else Created <= millis
    # Created is whole milliseconds: floor(ts * 1000) >= t  <=>  ts >= t / 1000, and
    # floor(ts * 1000) <= t  <=>  ts < (t + 1) / 1000.
    if at_least:
        out.condition("m.created_ts >= ?", millis / 1000)
    else:
        out.condition("m.created_ts < ?", (millis + 1) / 1000)
    return True


def required_text(query: str) -> list[tuple[tuple[str, ...], str]]:
    """Necessary conditions of `query` on a message's indexed text (`search_index.columns`):
    (columns, needle) pairs such that a matching message holds `needle` as a substring of one
    of `columns`. With substring semantics each needle is a whole folded term.

    Cheap to test in memory before asking the database: a waiter for new mail uses them to
    skip messages that cannot match. Negated and non-text terms give none, and so does a query
    past the bounds (the database will say what is wrong).
    """
    try:
        compiled = compile_query(query, now=0.0)
    except QueryError:
        return []
    return [(n.columns, n.text) for n in compiled.needles if not n.negate]
