"""One HTTP/1.x client connection as an asyncio protocol: a request written, its answer parsed as
the bytes arrive, the connection kept for the next request when the answer allows it.

Why a protocol and not asyncio's streams: the webhook client makes one small POST per
delivery, ten thousand a second when fanning out, on the event loop that also runs the SMTP
sink. With streams each answer costs a reader's buffer copies and a coroutine per `readuntil`;
parsing in `data_received` halved the CPU of a POST (measured: ~150 -> ~80 us on loopback).

The parser is bounded: a head longer than `max_head`, a status line that is not HTTP/1.x or a
chunk size that is not hex ends the exchange with `ValueError`; at most `max_body` bytes of a
body are read (a longer body ends the exchange there, and the connection is not reused), and
only the first `keep` bytes are kept.
"""

from __future__ import annotations

import asyncio
from enum import Enum
from typing import cast

Result = tuple[int, bytes, bool]  # status, the body's first bytes, whether to keep the connection


class ClosedError(ConnectionError):
    """The server closed the connection before its answer was complete."""


class _State(Enum):
    HEAD = 1
    LENGTH = 2
    CHUNK_SIZE = 3
    CHUNK_DATA = 4
    CHUNK_END = 5
    TRAILERS = 6
    UNTIL_CLOSE = 7


class Answer:
    """One answer, parsed from the bytes fed to it."""

    def __init__(self, max_head: int, max_body: int, keep: int) -> None:
        self._max_head, self._max_body, self._keep = max_head, max_body, keep
        self._buffer = bytearray()
        self._state = _State.HEAD
        self.status = 0
        self.body = bytearray()  # its first `keep` bytes
        self.keep = True  # whether the connection can take another request
        self._left = 0  # bytes still to come: of the body (LENGTH) or of this chunk
        self._read = 0  # bytes of the body read so far

    def feed(self, data: bytes) -> bool:
        """Take more bytes; True once the answer is complete."""
        self._buffer += data
        while True:
            if self._state is _State.HEAD:
                if not self._head():
                    return False
            elif self._state is _State.LENGTH:
                self._take()
                if self._left:
                    return False
                return self._done()
            elif self._state is _State.CHUNK_SIZE:
                line = self._line()
                if line is None:
                    return False
                size_text = bytes(line).split(b";")[0].strip()
                if not size_text or len(size_text) > 16:
                    raise ValueError("a chunk size that is not a number")
                self._left = int(size_text, 16)  # ValueError if not hex
                self._state = _State.CHUNK_DATA if self._left else _State.TRAILERS
            elif self._state is _State.CHUNK_DATA:
                self._left = min(self._left, self._max_body - self._read)
                self._take()
                if self._read >= self._max_body:  # a chunked body longer than we read
                    self.keep = False
                    return True
                if self._left:
                    return False
                self._state = _State.CHUNK_END
            elif self._state is _State.CHUNK_END:
                line = self._line()
                if line is None:
                    return False
                self._state = _State.CHUNK_SIZE
            elif self._state is _State.TRAILERS:
                line = self._line()
                if line is None:
                    return False
                if not line:
                    return self._done()
            else:  # UNTIL_CLOSE: the body runs to the end of the connection
                self._left = self._max_body - self._read
                self._take()
                self._buffer.clear()
                return self._read >= self._max_body

    def closed(self) -> bool:
        """The connection closed: True if that completes the answer (a body without length)."""
        return self._state is _State.UNTIL_CLOSE

    def _done(self) -> bool:
        if self._buffer:
            self.keep = False  # bytes we did not ask for: start afresh
        return True

    def _line(self) -> bytearray | None:
        end = self._buffer.find(b"\r\n")
        if end < 0:
            if len(self._buffer) > self._max_head:
                raise ValueError("a line of the answer is too long")
            return None
        line = self._buffer[:end]
        del self._buffer[: end + 2]
        return line

    def _take(self) -> None:
        """Read up to `_left` bytes of the buffer, keeping the body's first `keep` bytes."""
        chunk = self._buffer[: self._left]
        del self._buffer[: self._left]
        self._left -= len(chunk)
        self._read += len(chunk)
        room = self._keep - len(self.body)
        if room > 0:
            self.body += chunk[:room]

    def _head(self) -> bool:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buffer) > self._max_head:
                raise ValueError("the answer's head is too long")
            return False
        lines = bytes(self._buffer[:end]).split(b"\r\n")
        del self._buffer[: end + 4]
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
            raise ValueError("not an HTTP/1.x answer")
        status, http10 = int(parts[1]), parts[0] == b"HTTP/1.0"
        if 100 <= status < 200 and status != 101:
            return True  # an interim answer (100 Continue): the real one follows
        length, chunked, close = None, False, http10
        for line in lines[1:]:
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length" and value.isdigit():
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection":
                close = value == "close" or (http10 and value != "keep-alive")
        self.status, self.keep = status, not close
        if chunked:
            self._state = _State.CHUNK_SIZE
        elif length is not None:
            # Longer than we read: take max_body of it, and the connection goes with it.
            self._state, self._left = _State.LENGTH, min(length, self._max_body)
            self.keep = self.keep and length <= self._max_body
        elif status in (204, 304):
            self._state, self._left = _State.LENGTH, 0
        else:
            self._state, self.keep = _State.UNTIL_CLOSE, False
        return True


class Connection(asyncio.Protocol):
    """A client connection that exchanges one request at a time."""

    def __init__(self, max_head: int, max_body: int, keep: int) -> None:
        self._limits = (max_head, max_body, keep)
        self._transport: asyncio.Transport | None = None
        self._answer: Answer | None = None
        self._waiter: asyncio.Future[Result] | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Not an isinstance check: uvloop's transports (an app may run this client on uvloop)
        # are not asyncio.Transport subclasses, though they do all it does.
        self._transport = cast("asyncio.Transport", transport)

    def data_received(self, data: bytes) -> None:
        if self._answer is None or self._waiter is None:
            self.abort()  # bytes nobody asked for
            return
        try:
            done = self._answer.feed(data)
        except ValueError as exc:
            self._fail(exc)
            return
        if done:
            self._settle()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._waiter is None or self._waiter.done():
            return
        if self._answer is not None and self._answer.closed():
            self._answer.keep = False
            self._settle()
        else:
            self._fail(ClosedError("the connection closed before a full answer"))

    async def exchange(self, request: bytes) -> Result:
        """Write `request` and wait for its whole answer."""
        return await self.send(request)

    def send(self, request: bytes) -> asyncio.Future[Result]:
        """Write `request`; the future is its whole answer (`exchange` in two steps, so the
        caller can tell the time it spent from the time it waited)."""
        if self.closed or self._transport is None:
            raise ClosedError("the connection is closed")
        self._answer = Answer(*self._limits)
        self._waiter = asyncio.get_running_loop().create_future()
        self._transport.write(request)
        return self._waiter

    def close(self) -> None:
        """Close after what was written is sent (an idle connection: nothing is pending)."""
        self.closed = True
        if self._transport is not None:
            self._transport.close()

    def abort(self) -> None:
        """Close at once, dropping anything unsent: for a connection whose exchange failed or
        was cancelled. `close` would wait for a peer that reads nothing, holding the socket."""
        self.closed = True
        if self._transport is not None:
            self._transport.abort()

    def _settle(self) -> None:
        answer, waiter = self._answer, self._waiter
        self._answer = self._waiter = None
        if answer is not None and waiter is not None and not waiter.done():
            waiter.set_result((answer.status, bytes(answer.body), answer.keep))

    def _fail(self, exc: Exception) -> None:
        waiter = self._waiter
        self._answer = self._waiter = None
        self.abort()
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)
