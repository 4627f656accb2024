"""Big inputs read a slice at a time, so that no single C call holds the GIL for long.

A large message is read on a worker thread, but that frees the event loop only if the loop gets
the GIL back: CPython hands it over between bytecodes (every 5 ms, `sys.getswitchinterval`),
never inside one C call. Measured on the 2-core machine: `bytes.find` over 48 MB held it
~110 ms, `a2b_base64` of 36 MB ~500 ms, one regex `sub` over 2M characters 200-500 ms. The
readers of `sandbox.mail` therefore hand C at most `SLICE` bytes or characters at a time
(~1 ms), through these helpers; what they find is what one call over the whole would find.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import AnyStr

SLICE = 64 * 1024


def find(src: AnyStr, needle: AnyStr, start: int = 0, end: int | None = None) -> int:
    """`src.find(needle, start, end)`, one slice at a time."""
    stop = len(src) if end is None else min(end, len(src))
    overlap = len(needle) - 1  # a match that starts in a slice may end past it
    at = max(start, 0)
    while at < stop:
        found = src.find(needle, at, min(stop, at + SLICE + overlap))
        if found >= 0:
            return found
        at += SLICE
    return -1


def search(
    pattern: re.Pattern[AnyStr], text: AnyStr, pos: int = 0, endpos: int | None = None
) -> re.Match[AnyStr] | None:
    """`pattern.search(text, pos, endpos)`, one slice at a time, for a pattern that can only
    match within `REACH` characters of where it starts, lookarounds included."""
    stop = len(text) if endpos is None else min(endpos, len(text))
    at = pos
    while at < stop or at == pos:
        window = min(stop, at + SLICE + REACH)
        found = pattern.search(text, at, window)
        if found is not None and (found.start() < at + SLICE or window == stop):
            return found
        if window == stop:
            return None
        at += SLICE
    return None


REACH = 1024  # the longest match (and lookaround) `search` allows for


def cuts(
    text: str, after: str, start: int = 0, end: int | None = None, *, hard: bool = False
) -> Iterator[int]:
    """Where to cut `text[start:end]` into pieces of about `SLICE` characters, each cut right
    after one of the characters in `after` (a `>`, white space), so that nothing that cannot
    hold such a character is split. A stretch of `SLICE` characters without one is cut where
    the next one is (or, with `hard`, where the stretch ends). Yields the end of each piece,
    `end` last."""
    stop = len(text) if end is None else min(end, len(text))
    at = start
    while stop - at > SLICE:
        limit = at + SLICE
        cut = max(text.rfind(char, at, limit) for char in after) + 1
        if cut <= at:
            cut = limit if hard else _next(text, after, limit, stop) + 1
        at = cut
        yield at
    if at < stop or at == start:
        yield stop


def _next(text: str, chars: str, start: int, stop: int) -> int:
    """The first of `chars` in `text[start:stop]`, or `stop - 1`; each character is looked
    for only up to the nearest found so far, so no stretch is scanned twice for one."""
    nearest = stop - 1
    for char in chars:
        found = find(text, char, start, nearest)
        if found >= 0:
            nearest = found
    return nearest
