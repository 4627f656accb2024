"""A small, lenient MIME reader: the part tree of a raw message, in one forward pass.

CPython's feedparser walks a message line by line in Python and recurses into nested
multiparts (RecursionError at ~2,000 levels); the reader before this one sliced each multipart's
body out of its parent's, so 49 levels around a 48 MB attachment took 2.6 GB and 14 s. This
one reads the message once, front to back, keeping a stack of the multiparts it is inside:

- Candidate delimiter lines are found with `bytes.find` for "\\n--" plus the prefix all open
  boundaries share, so a typical message is scanned in C; a candidate is checked against every
  open boundary at once with one dict lookup. An outer boundary ends any inner parts still open.
- Each byte is scanned once for delimiters (a part's header block by `_HEADER_STOP`, which stops
  at its blank line or at a delimiter, its body by the delimiter search); nothing is rescanned
  when the stack changes, and nothing is copied: parts are offsets (`sandbox.mail.part.Node`).
- Depth is capped at `MAX_DEPTH`, parts at `MAX_PARTS`; what lies beyond stays in the source.
- Searches that may run to the end of the message go a slice at a time (`sandbox.mail.slices`),
  so a worker thread reading a 48 MB message never holds the GIL for long.

It never raises on bad input: a missing boundary makes the part a leaf.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from mailyard.sandbox.mail import slices
from mailyard.sandbox.mail.headers import (
    MAX_HEADER_BLOCK,
    MAX_HEADERS,
    Headers,
    parse_block,
    split_headers,
    starts_with_header,
)
from mailyard.sandbox.mail.part import Node

__all__ = ["MAX_DEPTH", "MAX_PARTS", "Node", "parse", "split_headers"]

MAX_DEPTH = 50
MAX_PARTS = 1000
MAX_BOUNDARY = 200  # RFC 2046 allows 70; longer ones never delimit
_LINE_WINDOW = MAX_BOUNDARY + 64  # "--" boundary "--" and some padding
_HEADER_STOP = re.compile(rb"\n(?:\r?\n|--)")
_CR = 13

_DEEP = f"MIME nesting deeper than {MAX_DEPTH} levels; the rest is only in the source"
_MANY = f"more than {MAX_PARTS} MIME parts; the rest are only in the source"
_LONG = f"a header block longer than {MAX_HEADER_BLOCK // 1024} KB; the rest is only in the source"
_MANY_HEADERS = f"more than {MAX_HEADERS} headers in a block; the rest are only in the source"


def _shared_prefix(keys: dict[bytes, int]) -> bytes:
    """The bytes every open boundary starts with: the delimiter search looks for them too."""
    if not keys:
        return b""
    low, high = min(keys), max(keys)  # the sorted extremes share what all of them share
    size = 0
    while size < len(low) and low[size] == high[size]:
        size += 1
    return low[:size]


@dataclass
class _Open:
    """A multipart being read: its boundary (as bytes, maybe two spellings) and current part."""

    node: Node
    keys: tuple[bytes, ...]
    depth: int
    count: int = 0
    current: Node | None = None


class _Delimiter(NamedTuple):
    """A delimiter line: `at` is where the part before it ends (the line break before `--`
    belongs to the delimiter), `next_line` where the line after it starts."""

    at: int
    next_line: int
    owner: int  # which open multipart, as its place in the stack
    close: bool
    complete: bool  # the line ends with a line break (else it ends the message)


@dataclass
class _Reader:
    src: bytes
    stack: list[_Open] = field(default_factory=list)
    active: dict[bytes, int] = field(default_factory=dict)
    needle: bytes = b"\n--"
    notes: list[str] = field(default_factory=list)
    parts: int = 0

    def delimiter_after(self, newline: int) -> _Delimiter | None:
        """The delimiter on the line after the "\\n" at `newline`, if an open multipart's."""
        src, line = self.src, newline + 1
        if not src.startswith(b"--", line):
            return None
        eol = src.find(b"\n", line, line + _LINE_WINDOW)
        if eol < 0 and len(src) - line > _LINE_WINDOW:
            return None
        stop = eol if eol >= 0 else len(src)
        token = src[line + 2 : stop].rstrip(b" \t\r")
        index = self.active.get(token)
        close = index is None and token.endswith(b"--")
        if close:
            index = self.active.get(token[:-2])
        if index is None:
            return None
        at = newline - 1 if newline > 0 and src[newline - 1] == _CR else newline
        return _Delimiter(at, stop + 1 if eol >= 0 else stop, index, close, eol >= 0)

    def next_delimiter(self, pos: int) -> _Delimiter | None:
        """The first delimiter line that starts at or after `pos`."""
        found = slices.find(self.src, self.needle, max(pos - 1, 0))
        while found >= 0:
            hit = self.delimiter_after(found)
            if hit is not None:
                return hit
            found = slices.find(self.src, self.needle, found + 1)
        return None

    def part_headers(self, start: int) -> tuple[Headers, int, _Delimiter | None]:
        """A part's headers, where its body starts, and the delimiter that ends the part
        inside its header block, if one does (then the body is empty)."""
        src = self.src
        if start > 0 and (hit := self.delimiter_after(start - 1)) is not None:
            return [], start, hit  # an empty part: two delimiters in a row
        for blank in (b"\r\n", b"\n"):
            if src.startswith(blank, start):
                return [], start + len(blank), None
        if not starts_with_header(src, start, len(src)):
            return [], start, None
        pos = start
        while (stop := slices.search(_HEADER_STOP, src, pos)) is not None:
            if not stop.group().endswith(b"--"):
                return self.block(start, stop.start()), stop.end(), None
            hit = self.delimiter_after(stop.start())
            if hit is not None:
                end = max(start, hit.at)
                return self.block(start, end), end, hit
            pos = stop.start() + 1
        return self.block(start, len(src)), len(src), None

    def block(self, start: int, end: int) -> Headers:
        if end - start > MAX_HEADER_BLOCK:
            self.notes.append(_LONG)
        return self.counted(parse_block(self.src[start : min(end, start + MAX_HEADER_BLOCK)]))

    def counted(self, headers: Headers) -> Headers:
        if len(headers) >= MAX_HEADERS:
            self.notes.append(_MANY_HEADERS)
        return headers

    def push(self, node: Node, depth: int) -> bool:
        """Start reading `node`'s parts, if it is a multipart we can split."""
        boundary = node.param("Content-Type", "boundary").rstrip(" \t")
        if not node.content_type.startswith("multipart/") or not boundary:
            return False
        if depth >= MAX_DEPTH:
            self.notes.append(_DEEP)
            return False
        # Headers are decoded per header as UTF-8 or else Latin-1: look for either spelling.
        keys = {boundary.encode("utf-8", "surrogateescape")}
        if max(boundary) <= "\xff":
            keys.add(boundary.encode("latin-1"))
        if any(len(k) > MAX_BOUNDARY or k in self.active for k in keys):
            return False  # reusing an open boundary: the outer one wins, this is a leaf
        self.stack.append(_Open(node, tuple(keys), depth))
        self.active.update(dict.fromkeys(keys, len(self.stack) - 1))
        self.needle = b"\n--" + _shared_prefix(self.active)
        return True

    def keep(self, count: int) -> None:
        """Pop open multiparts until `count` remain."""
        if len(self.stack) <= count:
            return
        while len(self.stack) > count:
            for key in self.stack.pop().keys:
                del self.active[key]
        self.needle = b"\n--" + _shared_prefix(self.active)

    def end_parts(self, index: int, at: int) -> None:
        """A delimiter of stack[index]: it ends the current part there and every open one
        inside it."""
        for entry in self.stack[index:]:
            if entry.current is not None:
                entry.current.end = max(entry.current.start, at)
                entry.current = None
        self.keep(index + 1)

    def take(self, hit: _Delimiter) -> tuple[int, _Delimiter | None]:
        """Act on a delimiter; return where to search next, or a delimiter already found."""
        self.end_parts(hit.owner, hit.at)
        entry = self.stack[hit.owner]
        if hit.close or not hit.complete:
            if hit.close:
                self.keep(hit.owner)
            return hit.next_line, None
        if self.parts >= MAX_PARTS:
            self.notes.append(_MANY)
            self.keep(0)
            return hit.next_line, None
        self.parts += 1
        entry.count += 1
        headers, body_at, inside = self.part_headers(hit.next_line)
        prefix = f"{entry.node.part_id}." if entry.node.part_id else ""
        child = Node(f"{prefix}{entry.count}", headers, self.src, body_at, body_at)
        entry.node.children.append(child)
        entry.current = child
        if inside is None:
            child.end = len(self.src)  # until a delimiter says otherwise
            self.push(child, entry.depth + 1)
        return body_at, inside

    def run(self, pos: int) -> None:
        pending: _Delimiter | None = None
        while self.stack:
            hit = pending or self.next_delimiter(pos)
            if hit is None:
                break
            pos, pending = self.take(hit)
        end = len(self.src)
        end -= 2 if self.src.endswith(b"\r\n") else 1 if self.src.endswith(b"\n") else 0
        for entry in self.stack:  # parts never closed run to the end of the message
            if entry.current is not None:
                entry.current.end = max(entry.current.start, end)


def parse(raw: bytes) -> tuple[Node, list[str]]:
    """The part tree of `raw`, and notes on what was cut short (depth, part count, headers)."""
    headers, body_at = split_headers(raw)
    root = Node("", headers, raw, body_at, len(raw))
    reader = _Reader(raw)
    header_end = len(raw) if headers and body_at == len(raw) else body_at
    if header_end > MAX_HEADER_BLOCK + 4:
        reader.notes.append(_LONG)
    reader.counted(headers)
    if reader.push(root, 0):
        reader.run(body_at)
    if not root.children:
        root.part_id = "1"
    return root, list(dict.fromkeys(reader.notes))
