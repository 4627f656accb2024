"""A header block as (name, value) pairs: unfolded, each header decoded on its own.

Raw 8-bit headers are common (RFC 6532 allows UTF-8; old mailers send Latin-1). Each header is
decoded by itself, UTF-8 when it is valid and Latin-1 otherwise, so one stray byte in one
header no longer turns every `café` in the others into `cafÃ©`. RFC 2047 words are left for
`sandbox.mail.words`: a value here is what the header says, unfolded.

Everything is a regex or `bytes.find` without nested quantifiers: linear in the block, and no
call scans more than a slice of a long message at a time (`sandbox.mail.slices`). A block is
read up to `MAX_HEADER_BLOCK` bytes and `MAX_HEADERS` headers; the rest is only in the source.
"""

from __future__ import annotations

import re

from mailyard.sandbox.mail import slices

MAX_HEADER_BLOCK = 1024 * 1024
MAX_HEADERS = 10_000  # real mail has under 200; 350,000 one-letter headers fit in 1 MB

# A literal first character lets the regex engine skip ahead as `bytes.find` does (`\r?\n`
# made it try every position: 50 ms for a 1 MB block).
_HEADER_START = re.compile(rb"\n(?![ \t])")

Headers = list[tuple[str, str]]
_CR = 13


def text(value: bytes) -> str:
    """One header's bytes as text: UTF-8 when valid, else Latin-1 (which never fails)."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def parse_block(block: bytes) -> Headers:
    """The headers of `block` (no blank line in it) in order, each unfolded and decoded."""
    block = block[:MAX_HEADER_BLOCK]
    headers = []
    starts = _HEADER_START.finditer(block)
    start = 0
    for _ in range(MAX_HEADERS):
        line_break = next(starts, None)
        end = len(block) if line_break is None else line_break.start()
        if line_break is not None and end > start and block[end - 1] == _CR:
            end -= 1
        name, sep, value = block[start:end].partition(b":")
        name = name.strip()
        if sep and name and b" " not in name:
            # Every line break left in an item is a fold (one before a space or tab): unfolding
            # drops it and keeps the space, as RFC 5322 §2.2.3 says.
            if b"\n" in value:
                value = value.replace(b"\r\n", b"").replace(b"\n", b"")
            headers.append((text(name), text(value).strip()))
        if line_break is None:
            break
        start = line_break.end()
    return headers


def starts_with_header(src: bytes, start: int, end: int) -> bool:
    """Whether the bytes at `start` open a header block: a first line holding a colon.

    A part that starts with body text (no headers, no blank line) is all body.
    """
    if src[start : start + 1] in (b" ", b"\t"):
        return False
    line_end = slices.find(src, b"\n", start, end)
    return slices.find(src, b":", start, end if line_end < 0 else line_end) >= 0


def blank_line(src: bytes, start: int, end: int) -> tuple[int, int] | None:
    """Where the first blank line in src[start:end] begins and where the line after it starts."""
    at = start
    while at < end:
        stop = min(end, at + slices.SLICE + 2)  # a blank line starting in the slice ends in it
        lf = src.find(b"\n\n", at, stop)
        crlf = src.find(b"\n\r\n", at, stop if lf < 0 else lf)
        if crlf >= 0:
            return crlf, crlf + 3
        if lf >= 0:
            return lf, lf + 2
        at += slices.SLICE
    return None


def split_headers(raw: bytes) -> tuple[Headers, int]:
    """Header (name, value) pairs of a whole message, and where its body starts.

    A message without a blank line is all headers; one that does not start with a header is
    all body.
    """
    for blank in (b"\r\n", b"\n"):  # no headers at all: the body starts after this blank line
        if raw.startswith(blank):
            return [], len(blank)
    if not starts_with_header(raw, 0, len(raw)):
        return [], 0
    found = blank_line(raw, 0, len(raw))
    if found is None:
        return parse_block(raw), len(raw)
    block_end, body_at = found
    # The "\n" ending the last header line belongs to it; a "\r" before it is stripped below.
    return parse_block(raw[: min(block_end, MAX_HEADER_BLOCK)]), body_at
