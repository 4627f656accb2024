"""Mailpit's search syntax, compiled to SQL over the trigram FTS index.

    invoice "order shipped" from:jane to:@example.com subject:"reset your" -is:read
    has:attachment tag:signup before:2026-01-31 after:"2026-01-01 10:00" larger:10k

Free words and quoted phrases match anywhere (subject, addresses, body) as substrings; field
terms match their field; a leading `-` negates any term. Matching is Unicode case-insensitive:
the indexed text and the needle are both casefolded, and LIKE runs on the trigram index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import QueryError

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


@dataclass(frozen=True)
class Term:
    field: str | None
    value: str
    negate: bool


@dataclass(frozen=True)
class Compiled:
    """A WHERE clause over `messages m`, with its parameters."""

    where: str
    params: tuple[object, ...]


def parse(query: str) -> list[Term]:
    terms = []
    for match in _TOKEN_RE.finditer(query):
        negate, name, value = match.group(1) == "-", match.group(2), match.group(3)
        if value.startswith('"'):
            value = value[1:-1] if len(value) > 1 and value.endswith('"') else value[1:]
        field = name.lower() if name else None
        if field is None and value.endswith(":") and value[:-1].lower() in KNOWN_FIELDS:
            raise QueryError(f"'{value}' needs a value, e.g. {value}something")
        if field is not None and field not in TEXT_FIELDS | dict.fromkeys(
            FLAG_FIELDS | OTHER_FIELDS
        ):
            # Not a field we know: search the whole token as text, as Mailpit does.
            value, field = f"{name}:{value}", None
        if value == "" and field is None:
            continue
        terms.append(Term(field, value, negate))
    return terms


def compile_query(query: str, tz: str | None = None) -> Compiled:
    """Compile `query`; raises QueryError naming what is wrong."""
    zone = _zone(tz)
    clauses: list[str] = []
    params: list[object] = []
    for term in parse(query):
        clause, values = _term(term, zone)
        clauses.append(f"NOT ({clause})" if term.negate else clause)
        params.extend(values)
    return Compiled(" AND ".join(clauses) or "1", tuple(params))


def _term(term: Term, zone: ZoneInfo) -> tuple[str, list[object]]:
    field, value = term.field, term.value
    if field is None:
        return _text(ALL_COLUMNS, value)
    if field in TEXT_FIELDS:
        if not value:
            raise QueryError(f"'{field}:' needs a value")
        return _text(TEXT_FIELDS[field], value)
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
        when = parse_when(value, zone)
        return ("m.created_ts < ?" if field == "before" else "m.created_ts >= ?"), [when]
    size = parse_size(value, field)
    return ("m.size > ?" if field == "larger" else "m.size < ?"), [size]


def _text(columns: tuple[str, ...], value: str) -> tuple[str, list[object]]:
    """Substring match in any of `columns`: one indexed LIKE per column (trigrams, >= 3 chars)."""
    needle = value.casefold()
    if "%" in needle or "_" in needle or "\\" in needle:
        # LIKE with ESCAPE cannot use the trigram index; instr() is exact and scans.
        tests = " OR ".join(f"instr({c}, ?) > 0" for c in columns)
        return f"m.seq IN (SELECT rowid FROM messages_fts WHERE {tests})", [needle] * len(columns)
    pattern = f"%{needle}%"
    select = "SELECT rowid FROM messages_fts WHERE {} LIKE ?"
    selects = " UNION ALL ".join(select.format(c) for c in columns)
    return f"m.seq IN ({selects})", [pattern] * len(columns)


def _zone(tz: str | None) -> ZoneInfo:
    if not tz:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise QueryError(f"unknown time zone '{tz}'") from exc


_RELATIVE_RE = re.compile(r"^(\d+)([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_when(value: str, zone: ZoneInfo) -> float:
    """A date, date-time, or relative age (`30m`, `2h`, `7d`) as a Unix timestamp."""
    relative = _RELATIVE_RE.match(value.strip().lower())
    if relative:
        age = timedelta(**{_UNITS[relative.group(2)]: int(relative.group(1))})
        return (datetime.now(UTC) - age).timestamp()
    text = value.strip().replace("Z", "+00:00")
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            parsed = datetime.combine(date.fromisoformat(text), datetime.min.time())
        else:
            parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise QueryError(
            f"cannot read the date '{value}'; use YYYY-MM-DD, an ISO date-time, or 30m/2h/7d"
        ) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.timestamp()


_SIZE_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmg]?)b?$")


def parse_size(value: str, field: str) -> int:
    match = _SIZE_RE.match(value.strip().lower())
    if not match:
        raise QueryError(f"cannot read the size '{value}' in '{field}:'; use e.g. 500, 10k or 2M")
    factor = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match.group(2)]
    return int(float(match.group(1)) * factor)
