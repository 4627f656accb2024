"""One HTTP/1.1 exchange at a time over a kept connection: the plugin's requests to mailyard.

`http.client` reads each answer's header block with the `email` package, which was two thirds
of the plugin's CPU per request (measured: ~0.3 ms of a ~0.5 ms cursor request, every test
pays a few). mailyard's answers are plain HTTP/1.1 (Content-Length, or chunked), so `Plain`
reads them directly; `Secure` keeps `http.client` for an https URL (a remote mailyard, where the
network costs more than the parsing). Both are bounded: a header block past `MAX_HEAD`, a chunk
line past it, or a body past `MAX_BODY` is refused.
"""

from __future__ import annotations

import http.client
import socket
from typing import Protocol

MAX_HEAD = 64 * 1024
MAX_BODY = 1 << 30  # a raw message's source is the largest answer (the SMTP size cap is lower)
READ = 65536


class ProtocolError(ValueError):
    """The answer is not HTTP/1.x as mailyard writes it."""


class Closed(ConnectionError):
    """The server closed the connection before answering: on a kept connection, one it
    dropped while idle (uvicorn does after 5 s), so the request may be sent again afresh."""


class Connection(Protocol):
    def exchange(
        self, method: str, target: str, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> tuple[int, bytes, bool]:
        """Send one request; the answer's status and body, and whether the connection may be
        used again."""
        ...

    def close(self) -> None: ...


class Plain:
    """An http connection, read by hand."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self._host = f"[{host}]" if ":" in host else host
        self._host += f":{port}"
        self._sock = socket.create_connection((host, port), timeout)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buffer = bytearray()

    def exchange(
        self, method: str, target: str, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> tuple[int, bytes, bool]:
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self._host}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        self._sock.settimeout(timeout)
        self._sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b""))
        return self._answer(method)

    def close(self) -> None:
        self._sock.close()

    def _answer(self, method: str) -> tuple[int, bytes, bool]:
        head = self._until(b"\r\n\r\n", MAX_HEAD, first=True).decode("latin-1").split("\r\n")
        version, _, rest = head[0].partition(" ")
        code = rest[:3]
        if not version.startswith("HTTP/1.") or not (code.isdigit() and len(code) == 3):
            raise ProtocolError(f"not an HTTP/1.x status line: {head[0][:80]!r}")
        status = int(code)
        fields: dict[str, str] = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        keep = version == "HTTP/1.1" and fields.get("connection", "").lower() != "close"
        if method == "HEAD" or status in (204, 304) or status < 200:
            return status, b"", keep
        if "chunked" in fields.get("transfer-encoding", "").lower():
            return status, self._chunked(), keep
        length = fields.get("content-length")
        if length is None:  # the body ends with the connection
            return status, self._to_close(), False
        if not length.isdigit() or int(length) > MAX_BODY:
            raise ProtocolError(f"Content-Length {length[:30]!r} is not a length up to {MAX_BODY}")
        return status, self._exactly(int(length)), keep

    def _fill(self, first: bool = False) -> bool:
        chunk = self._sock.recv(READ)
        if not chunk:
            if first and not self._buffer:
                raise Closed("the server closed the connection")
            return False
        self._buffer += chunk
        return True

    def _until(self, mark: bytes, limit: int, *, first: bool = False) -> bytes:
        """The bytes before `mark` (consumed with it)."""
        start = 0
        while (end := self._buffer.find(mark, start)) < 0:
            if len(self._buffer) > limit:
                raise ProtocolError(f"no end of line within {limit} bytes")
            start = max(0, len(self._buffer) - len(mark) + 1)
            if not self._fill(first):
                raise ProtocolError("the connection closed in the middle of an answer")
        found = bytes(self._buffer[:end])
        del self._buffer[: end + len(mark)]
        return found

    def _exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            if not self._fill():
                raise ProtocolError("the connection closed in the middle of an answer")
        found = bytes(self._buffer[:size])
        del self._buffer[:size]
        return found

    def _chunked(self) -> bytes:
        body = bytearray()
        while True:
            line = self._until(b"\r\n", MAX_HEAD).split(b";", 1)[0].strip()
            try:
                size = int(line, 16)
            except ValueError:
                raise ProtocolError(f"not a chunk size: {line[:20]!r}") from None
            if size == 0:
                while self._until(b"\r\n", MAX_HEAD):  # trailer fields, up to the empty line
                    pass
                return bytes(body)
            if len(body) + size > MAX_BODY:
                raise ProtocolError(f"a chunked body past {MAX_BODY} bytes")
            body += self._exactly(size)
            self._exactly(2)  # the chunk's CRLF

    def _to_close(self) -> bytes:
        while self._fill():
            if len(self._buffer) > MAX_BODY:
                raise ProtocolError(f"a body past {MAX_BODY} bytes")
        found = bytes(self._buffer)
        self._buffer.clear()
        return found


class Secure:
    """An https connection, through `http.client`."""

    def __init__(self, host: str, port: int | None, timeout: float) -> None:
        self._conn = http.client.HTTPSConnection(host, port, timeout=timeout)

    def exchange(
        self, method: str, target: str, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> tuple[int, bytes, bool]:
        self._conn.timeout = timeout
        if self._conn.sock is not None:
            self._conn.sock.settimeout(timeout)
        try:
            self._conn.request(method, target, body=body, headers=headers)
            response = self._conn.getresponse()
            data = response.read()
        except http.client.BadStatusLine as exc:  # RemoteDisconnected among them
            raise Closed(str(exc) or "the server closed the connection") from exc
        except http.client.HTTPException as exc:
            raise ProtocolError(str(exc) or type(exc).__name__) from exc
        return response.status, data, not response.will_close

    def close(self) -> None:
        self._conn.close()
