"""Mailpit's search syntax, compiled to one full-text MATCH plus SQL conditions.

    invoice "order shipped" from:jane to:example.com subject:"reset your" -is:read
    has:attachment tag:signup before:2026-01-31 after:"2026-01-01 10:00" larger:10k

Free words match the start of words anywhere (subject, addresses, body): `inv` finds "invoice",
`example.com` finds "jane@example.com". "Quoted phrases" match those words in that order. Field
terms match their field; a leading `-` negates any term. Matching is Unicode case-insensitive
(text and query are casefolded alike), and Chinese, Japanese and Korean match as substrings:
each of their characters is indexed as a word of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mailyard.sandbox.errors import QueryError

# Field name -> FTS columns it searches.
TEXT_FIELDS = {
    "from": ("from_",),
    "to": ("to_",),
    "cc": ("cc",),
    "bcc": ("bcc",),
    "reply-to": ("reply_to",),
    "subject": ("subject",),
    "message-id": ("message_id",),
    "addressed": ("from_", "to_", "cc", "bcc"),
}
FLAG_FIELDS = {"is", "has"}
OTHER_FIELDS = {"tag", "before", "after", "larger", "smaller", "mailbox"}
KNOWN_FIELDS = set(TEXT_FIELDS) | FLAG_FIELDS | OTHER_FIELDS
ALL_COLUMNS = ("subject", "from_", "to_", "cc", "bcc", "reply_to", "message_id", "body")

_TOKEN_RE = re.compile(r'(-?)(?:([A-Za-z-]+):)?("(?:[^"]*)"?|\S+)')
# What the unicode61 tokenizer keeps together: letters and digits (not "_", a separator there).
_WORD_RE = re.compile(r"[^\W_]+")
_CJK_RE = re.compile(
    "([\u3040-\u30ff\u3100-\u312f\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f])"
)


def index_text(text: str) -> str:
    """Text as the index holds it: casefolded, each CJK character a word of its own."""
    folded = text.casefold()
    return _CJK_RE.sub(r" \1 ", folded) if _CJK_RE.search(folded) else folded


@dataclass(frozen=True)
class Term:
    field: str | None
    value: str
    negate: bool
    quoted: bool = False


@dataclass(frozen=True)
class Compiled:
    """`match`: an FTS5 expression every result satisfies (None: no text term);
    `where`/`params`: further conditions over `messages m`."""

    match: str | None
    where: str
    params: tuple[object, ...]


def parse(query: str) -> list[Term]:
    terms = []
    for found in _TOKEN_RE.finditer(query):
        negate, name, value = found.group(1) == "-", found.group(2), found.group(3)
        quoted = value.startswith('"')
        if quoted:
            value = value[1:-1] if len(value) > 1 and value.endswith('"') else value[1:]
        field = name.lower() if name else None
        if field is None and value.endswith(":") and value[:-1].lower() in KNOWN_FIELDS:
            raise QueryError(f"'{value}' needs a value, e.g. {value}something")
        if field is not None and field not in KNOWN_FIELDS:
            # Not a field we know: search the whole token as text, as Mailpit does.
            value, field = f"{name}:{value}", None
        if value == "" and field is None:
            continue
        terms.append(Term(field, value, negate, quoted))
    return terms


def compile_query(query: str, tz: str | None = None, *, now: float) -> Compiled:
    """Compile `query`; raises QueryError naming what is wrong. `now` anchors `after:2h`."""
    zone = _zone(tz)
    positive: list[str] = []
    negative: list[str] = []
    clauses: list[str] = []
    params: list[object] = []
    for term in parse(query):
        if term.field is None or term.field in TEXT_FIELDS:
            columns = ALL_COLUMNS if term.field is None else TEXT_FIELDS[term.field]
            if term.field is not None and not term.value:
                raise QueryError(f"'{term.field}:' needs a value")
            expression = _phrase(term.value, columns, prefix=not term.quoted)
            if expression is not None:
                (negative if term.negate else positive).append(expression)
                continue
            # Nothing a word index can look for ("@", "+"): scan the stored text instead.
            clause, values = _scan(columns, term.value)
        else:
            clause, values = _condition(term, zone, now)
        clauses.append(f"NOT ({clause})" if term.negate else clause)
        params.extend(values)
    match = None
    if positive:
        match = " AND ".join(positive) + "".join(f" NOT {n}" for n in negative)
    elif negative:
        clauses.append("m.seq NOT IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?)")
        params.append(" OR ".join(negative))
    return Compiled(match, " AND ".join(clauses) or "1", tuple(params))


def _phrase(value: str, columns: tuple[str, ...], prefix: bool) -> str | None:
    """An FTS5 phrase for `value` within `columns`; the last word a prefix unless quoted."""
    words = _WORD_RE.findall(index_text(value))
    if not words:
        return None
    phrase = " + ".join(f'"{w}"' for w in words)
    cjk_last = bool(_CJK_RE.fullmatch(words[-1]))
    if prefix and not cjk_last:
        phrase += "*"
    scope = "" if columns == ALL_COLUMNS else "{" + " ".join(columns) + "} : "
    return f"({scope}{phrase})"


def _scan(columns: tuple[str, ...], value: str) -> tuple[str, list[object]]:
    needle = index_text(value)
    tests = " OR ".join(f"instr({c}, ?) > 0" for c in columns)
    return f"m.seq IN (SELECT rowid FROM messages_fts WHERE {tests})", [needle] * len(columns)


def _condition(term: Term, zone: ZoneInfo, now: float) -> tuple[str, list[object]]:
    field, value = term.field, term.value
    lowered = value.lower()
    if field == "is":
        flags = {
            "read": "m.read = 1",
            "unread": "m.read = 0",
            "tagged": "EXISTS (SELECT 1 FROM message_tags t WHERE t.seq = m.seq)",
        }
        if lowered not in flags:
            raise QueryError(f"unknown 'is:{value}'; use is:read, is:unread or is:tagged")
        return flags[lowered], []
    if field == "has":
        if lowered not in ("attachment", "attachments"):
            raise QueryError(f"unknown 'has:{value}'; use has:attachment")
        return "m.attachments > 0", []
    if field == "tag":
        return (
            "EXISTS (SELECT 1 FROM message_tags t WHERE t.seq = m.seq "
            "AND t.tag = ? COLLATE NOCASE)",
            [value],
        )
    if field == "mailbox":
        return "m.mailbox = ?", [value]
    if field in ("before", "after"):
        when = parse_when(value, zone, now)
        return ("m.created_ts < ?" if field == "before" else "m.created_ts >= ?"), [when]
    assert field in ("larger", "smaller")
    size = parse_size(value, field)
    return ("m.size > ?" if field == "larger" else "m.size < ?"), [size]


def _zone(tz: str | None) -> ZoneInfo:
    if not tz:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise QueryError(f"unknown time zone '{tz}'") from exc


_RELATIVE_RE = re.compile(r"^(\d+)([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_when(value: str, zone: ZoneInfo, now: float) -> float:
    """A date, date-time, or relative age (`30m`, `2h`, `7d`) before `now`, as a Unix timestamp."""
    relative = _RELATIVE_RE.match(value.strip().lower())
    if relative:
        try:
            age = timedelta(**{_UNITS[relative.group(2)]: int(relative.group(1)[:12])})
        except OverflowError:
            raise QueryError(f"'{value[:40]}' is further back than dates go") from None
        return now - age.total_seconds()
    text = value.strip().replace("Z", "+00:00")
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            parsed = datetime.combine(date.fromisoformat(text), datetime.min.time())
        else:
            parsed = datetime.fromisoformat(text)
    except (ValueError, OverflowError) as exc:
        raise QueryError(
            f"cannot read the date '{value[:40]}'; use YYYY-MM-DD, an ISO date-time, or 30m/2h/7d"
        ) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.timestamp()


_SIZE_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmg]?)b?$")


def parse_size(value: str, field: str) -> int:
    match = _SIZE_RE.match(value.strip().lower()) if len(value) <= 24 else None
    if not match:
        raise QueryError(f"cannot read the size '{value}' in '{field}:'; use e.g. 500, 10k or 2M")
    factor = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match.group(2)]
    return min(int(float(match.group(1)) * factor), 1 << 62)


def required_text(query: str) -> list[tuple[tuple[str, ...], str]]:
    """Necessary conditions of `query` on a message's indexed text: (columns, needle) pairs
    such that a matching message holds `needle` as a substring of one of `columns`.

    Cheap to test in memory before asking the database: a waiter for new mail uses them to
    skip messages that cannot match. Negated and non-text terms give none; an unreadable query
    gives none (the database will say what is wrong).
    """
    try:
        terms = parse(query)
    except QueryError:
        return []
    found = []
    for term in terms:
        if term.negate or not (term.field is None or term.field in TEXT_FIELDS):
            continue
        columns = ALL_COLUMNS if term.field is None else TEXT_FIELDS[term.field]
        for word in _WORD_RE.findall(index_text(term.value)):
            found.append((columns, word))
    return found
