"""Mailpit's reading of a `List-Unsubscribe` header: its links, and what is wrong with it.

A port of Mailpit's `tools.ListUnsubscribeParser` (internal/tools/listunsubscribeparser.go),
same checks, same messages, same order. Mailpit does it with lazy regular expressions that
rescan the rest of a line from every `<`; here each scan is a forward walk with `str.find`, so
the work is linear in the header (which is capped at `MAX_HEADER` characters besides).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_HEADER = 8 * 1024

_MAILTO = re.compile(r"mailto:[a-zA-Z0-9]")
_HTTP = re.compile(r"https?://[a-zA-Z0-9]", re.IGNORECASE)
_VALID_JOIN = re.compile(r"^[ \t\r\f\v]*,[ \t\r\f\v]*$", re.MULTILINE)
_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_PORT = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*?:([^/?#@\]]*)(?:[/?#]|$)")


@dataclass(frozen=True)
class Unsubscribe:
    """Mailpit's `ListUnsubscribe`: valid links in header order, and the errors joined."""

    links: tuple[str, ...]
    errors: str


def _strip_comments(value: str) -> str:
    """Mailpit's `(?mUs)\\(.*\\)`: each `(` up to the next `)` removed."""
    out, at = [], 0
    while True:
        opening = value.find("(", at)
        closing = value.find(")", opening + 1) if opening >= 0 else -1
        if closing < 0:
            out.append(value[at:])
            return "".join(out).strip()
        out.append(value[at:opening])
        at = closing + 1


def _bracketed(value: str) -> list[str]:
    """Mailpit's `(?mU)<(.*)>`: `<` to the next `>` on the same line."""
    found: list[str] = []
    at = 0
    while True:
        opening = value.find("<", at)
        if opening < 0:
            return found
        closing = value.find(">", opening + 1)
        newline = value.find("\n", opening + 1)
        if closing < 0:
            return found
        if 0 <= newline < closing:  # no match starts on this line after `opening`
            at = newline + 1
            continue
        found.append(value[opening + 1 : closing])
        at = closing + 1


def _wrapped(value: str) -> bool:
    """Mailpit's `(?imUs)^<(.*)>$`: some line starts with `<`, and a `>` later ends a line."""
    starts = [0] + [i + 1 for i, c in enumerate(value) if c == "\n"]
    ends = [i for i, c in enumerate(value) if c == ">" and value[i + 1 : i + 2] in ("", "\n")]
    return bool(ends) and any(value[s : s + 1] == "<" and s < ends[-1] for s in starts)


def _joins(value: str) -> list[str]:
    """Mailpit's `(?imUs)>(.*)<`: the text between each `>` and the next `<`."""
    found: list[str] = []
    at = 0
    while True:
        closing = value.find(">", at)
        opening = value.find("<", closing + 1) if closing >= 0 else -1
        if opening < 0:
            return found
        found.append(value[closing + 1 : opening])
        at = opening + 1


def _url_error(link: str) -> str | None:
    """What Go's `url.ParseRequestURI` says of the link, for the mistakes it can hold here."""
    bad = _ESCAPE.search(link)
    if bad:
        return f'parse "{link}": invalid URL escape "{link[bad.start() : bad.start() + 3]}"'
    port = _PORT.match(link)
    if port and port.group(1) and not port.group(1).isdigit():
        return f'parse "{link}": invalid port ":{port.group(1)}" after host'
    return None


def parse_unsubscribe(header: str) -> Unsubscribe:
    """The links of a `List-Unsubscribe` value, and Mailpit's complaints about it."""
    value = _strip_comments(header[:MAX_HEADER].strip())
    if not _bracketed(value):
        return Unsubscribe((), f'"{value}" no valid unsubscribe links found')
    if not _wrapped(value):
        return Unsubscribe((), f'"{value}" should be enclosed in <>')
    matches = _bracketed(value)
    if len(matches) > 2:
        return Unsubscribe((), f'"{value}" should include a maximum of one email and one HTTP link')
    if any(not _VALID_JOIN.search(join) for join in _joins(value)):
        return Unsubscribe((), f'"{value}" <> should be split with a comma and optional spaces')
    links: list[str] = []
    errors: list[str] = []
    has_mailto = has_http = False
    for link in matches:
        if any(c.isspace() and c.isascii() for c in link):
            errors.append(f'"{link}" should not contain spaces')
            continue
        if _MAILTO.match(link):
            if has_mailto:
                errors.append(f'"{link}" should only contain one mailto:')
                continue
            has_mailto = True
        elif _HTTP.match(link):
            if has_http:
                errors.append(f'"{link}" should only contain one HTTP link')
                continue
            has_http = True
        else:
            errors.append(f'"{link}" should start with either http(s):// or mailto:')
            continue
        problem = _url_error(link)
        if problem:
            errors.append(problem)
            continue
        links.append(link)
    return Unsubscribe(tuple(links), ", ".join(errors))
