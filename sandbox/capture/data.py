"""Reading the body of an SMTP DATA command in bulk.

DATA ends at <CR><LF>.<CR><LF> and nowhere else (RFC 5321 §4.1.1.4): the smuggling endings
(`\\n.\\r\\n`, `\\r.\\r\\n`, `\\n.\\n`, `\\r\\n\\x00.\\r\\n`, ...) stay inside the message. Lines
of any length and bare LF line endings are kept byte for byte. Dot-stuffing is undone after
every line start, CRLF or bare LF: a client that sends LF-only mail (Python's `smtplib` with
bytes does) also stuffs dots after a bare LF.
"""

from __future__ import annotations

import asyncio

END = b"\r\n.\r\n"
_TAIL = len(END) - 1


class DataTooLarge(Exception):
    """The message grew past the size limit; it was read to its end and discarded."""


async def read_data(reader: asyncio.StreamReader, limit: int | None) -> bytes:
    """Read one message up to and including its terminating dot; return it unstuffed.

    Oversized data is read to the end and dropped as it streams (memory stays bounded), then
    `DataTooLarge` is raised, so the session stays usable for the next transaction.
    """
    # A virtual line start before the first byte: an empty message is just ".\r\n", and a
    # stuffed dot on the first line is undone like any other.
    buf = bytearray(b"\r\n")
    size = 0
    too_large = False
    while True:
        try:
            # Each candidate ends in ".\r\n"; it is the end only when preceded by CRLF.
            chunk = await reader.readuntil(b".\r\n")
        except asyncio.LimitOverrunError as exc:
            chunk = await reader.readexactly(exc.consumed)
        size += len(chunk)
        buf += chunk
        if buf.endswith(END):
            break
        if limit and size > limit + 3:
            too_large = True
        if too_large:
            del buf[:-_TAIL]  # keep only what could begin the terminator
    if too_large or (limit and size - 3 > limit):
        raise DataTooLarge
    del buf[-3:]  # the ".\r\n"; the CRLF before it belongs to the message
    return bytes(buf).replace(b"\n..", b"\n.")[2:]
