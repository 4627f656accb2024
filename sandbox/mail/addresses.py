"""Address headers (`From`, `To`, `Cc`, ...) read leniently, in linear time.

CPython's `getaddresses` is super-linear (20,000 addresses: 4.1 s) and, before 3.11.10,
misparses (CVE-2023-27043); the regex fast path that used to sit in front of it backtracked
(`To: a` + 20,000 spaces + `b`: 1.9 s). This reader cuts the value into tokens with one regex
whose alternatives start on different characters, then walks them once (RFC 5322 §3.4):

    mailbox = [display-name] "<" addr-spec ">" / addr-spec
    group   = display-name ":" [mailbox-list] ";"

Group names are dropped and their members kept, as `getaddresses` does; a comment names a bare
address (`a@b (Jane)`). The common shapes (`Name <a@x>`, `"Name" <a@x>`, `a@x`; no comments
or groups) are read item by item with string methods and a fixed regex. Values are capped at
`MAX_ADDRESS_HEADER` characters, `MAX_TOKENS` tokens and `MAX_ADDRESSES` addresses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailyard.sandbox.mail.words import decode_words

MAX_ADDRESS_HEADER = 64 * 1024
MAX_ADDRESSES = 1000
MAX_TOKENS = 8000  # ~10 ms; only headers with comments, groups or odd mailboxes get here

_TOKEN = re.compile(r'\s+|"(?:[^"\\]|\\.)*"?|[()<>,:;@]|[^\s"()<>,:;@]+', re.DOTALL)
_COMMENT_STOP = re.compile(r"[()\\]")
# Without comments, groups or quoted pairs, a comma outside quotes ends a mailbox: split there.
_NOT_SIMPLE = re.compile(r"[()\\:;]")
_ITEMS = re.compile(r'(?:"[^"]*"?|[^",])+')
_QUOTED_ITEM = re.compile(r'\s*"([^"]*)"\s*<([^<>]*)>\s*')
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


@dataclass(frozen=True)
class Address:
    """One mailbox: `Jane Doe <jane@example.com>` is Address("Jane Doe", "jane@example.com")."""

    name: str
    address: str

    def as_json(self) -> dict[str, str]:
        return {"Name": self.name, "Address": self.address}


def _comment_end(value: str, start: int) -> int:
    """The index just past the comment opening at `start`; comments nest (RFC 5322 §3.2.2)."""
    depth, at = 1, start + 1
    while depth:
        stop = _COMMENT_STOP.search(value, at)
        if stop is None:
            return len(value)
        at = stop.end()
        char = stop.group()
        if char == "\\":
            at += 1  # a quoted pair: the next character is literal
        elif char == "(":
            depth += 1
        else:
            depth -= 1
    return min(at, len(value))


class _Reader:
    """Collects mailboxes as the tokens go by."""

    def __init__(self) -> None:
        self.found: list[tuple[str, str]] = []
        self.words: list[tuple[str, str, bool]] = []  # (text, as written, white space before)
        self.comments: list[str] = []
        self.angle: list[str] | None = None  # inside <...>: its tokens
        self.spaced = False

    def word(self, text: str, written: str) -> None:
        if self.angle is not None:
            self.angle.append(written)
        else:
            self.words.append((text, written, self.spaced))
        self.spaced = False

    def end(self) -> None:
        """A `,` or `;` (or the end of the value): the mailbox so far is complete."""
        if self.angle is not None:
            self.close_angle()
            return
        address = ""
        for _, written, spaced in self.words:
            joined = address[-1:] in ("@", ".", "") or written[:1] in ("@", ".")
            address += written if joined or not spaced else " " + written
        if address:
            self.found.append((" ".join(self.comments), address))
        self.words, self.comments = [], []

    def close_angle(self) -> None:
        address = "".join(self.angle or [])
        name = " ".join(text for text, _, _ in self.words) or " ".join(self.comments)
        if address or name:
            self.found.append((name, address))
        self.words, self.comments, self.angle = [], [], None


def parse_address_pairs(value: str) -> list[tuple[str, str]]:
    """(display name, address) pairs of an address header, names not yet decoded."""
    value = value[:MAX_ADDRESS_HEADER]
    if _NOT_SIMPLE.search(value) is not None:
        return _tokenized_pairs(value)
    found = []
    for item in _ITEMS.findall(value):
        if (quoted := _QUOTED_ITEM.fullmatch(item)) is not None:
            found.append((_ESCAPE.sub(r"\1", quoted.group(1)), "".join(quoted.group(2).split())))
        else:
            found.extend(_simple_item(item))
        if len(found) >= MAX_ADDRESSES:
            break
    return found[:MAX_ADDRESSES]


def _simple_item(item: str) -> list[tuple[str, str]]:
    """One mailbox without quotes: `Name <a@x>` or `a@x`, read with string methods (about
    ten times faster than the tokens); anything odd goes to the full reader."""
    if '"' in item:
        return _tokenized_pairs(item)
    lt = item.find("<")
    gt = item.find(">", lt + 1)
    if lt >= 0 and gt >= 0 and "<" not in item[lt + 1 :] and not item[gt + 1 :].strip():
        name = " ".join(item[:lt].split())
        address = "".join(item[lt + 1 : gt].split())
        return [(name, address)] if name or address else []
    if "<" in item or ">" in item or len(item.split(None, 1)) > 1:
        return _tokenized_pairs(item)
    return [("", item.strip())] if item.strip() else []


def _tokenized_pairs(value: str) -> list[tuple[str, str]]:
    reader = _Reader()
    at = 0
    tokens = 0
    while at < len(value) and len(reader.found) < MAX_ADDRESSES and tokens < MAX_TOKENS:
        tokens += 1
        if value[at] == "(":
            end = _comment_end(value, at)
            reader.comments.append(value[at + 1 : end - 1].strip())
            at = end
            continue
        match = _TOKEN.match(value, at)
        if match is None:  # cannot happen: the alternatives cover every character
            break
        piece, at = match.group(), match.end()
        if piece.isspace():
            reader.spaced = True
        elif piece.startswith('"'):
            inner = piece[1:-1] if len(piece) > 1 and piece.endswith('"') else piece[1:]
            reader.word(_ESCAPE.sub(r"\1", inner), piece)
        elif piece == "<" and reader.angle is None:
            reader.angle = []
        elif piece == ">" and reader.angle is not None:
            reader.close_angle()
        elif piece == "," and reader.angle is not None and reader.angle[:1] == ["@"]:
            reader.angle.append(piece)  # a source route: <@a,@b:jane@example.com>
        elif piece in (",", ";"):
            reader.end()
        elif piece == ":" and reader.angle is not None:
            reader.angle = []  # the end of a source route: what follows is the address
        elif piece == ":":
            reader.words = []  # a group's display name
        elif piece not in ("<", ">", ")"):
            reader.word(piece, piece)
    reader.end()
    return reader.found[:MAX_ADDRESSES]


def parse_addresses(value: str) -> tuple[Address, ...]:
    """The mailboxes of an address header, display names decoded (RFC 2047)."""
    if not value:
        return ()
    return tuple(
        Address(decode_words(name), address) for name, address in parse_address_pairs(value)
    )
