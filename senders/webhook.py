"""POSTing webhook deliveries: a small HTTP/1.1 client with keep-alive connections per endpoint.

Why not httpx here: a delivery is one small POST whose answer we only need the status and the
first bytes of; httpx spends ~0.3 ms of CPU on each, and fanning a thousand events a second out
to ten endpoints on the same event loop as the SMTP sink needs ten times less. Each endpoint has
its own pool, so one that hangs holds only its own connections; every exchange has a deadline.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

USER_AGENT = "mailyard-webhooks/1"
SNIPPET = 1024  # bytes of the answer kept with the attempt
MAX_BODY = 64 * 1024  # read at most this much of an answer; a longer one closes the connection
MAX_HEAD = 16 * 1024


class WebhookURLError(ValueError):
    """The URL cannot be posted to (scheme, host, port)."""


@dataclass(frozen=True)
class Answer:
    """What one attempt came to: a status (None if no HTTP answer), latency, the answer's
    first bytes, or the error that stopped it."""

    status: int | None
    latency_ms: float
    snippet: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with the query

    @classmethod
    def parse(cls, url: str) -> Target:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise WebhookURLError("a webhook URL must be http or https")
        if not parts.hostname:
            raise WebhookURLError("a webhook URL needs a host")
        if any(c in url for c in "\r\n\0 "):
            raise WebhookURLError("a webhook URL may not hold spaces or line breaks")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise WebhookURLError(
                "the webhook URL's port is not a number from 0 to 65535"
            ) from None
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return cls(parts.scheme, parts.hostname, port, path)

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


@dataclass
class _Pool:
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = field(default_factory=list)


class WebhookClient:
    """POSTs to endpoints, reusing connections; `max_idle` kept open per endpoint."""

    def __init__(self, *, ssl_context: ssl.SSLContext | None = None, max_idle: int = 8) -> None:
        self._ssl = ssl_context or ssl.create_default_context()
        self._max_idle = max_idle
        self._pools: dict[tuple[str, str, int], _Pool] = {}

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, timeout: float
    ) -> Answer:
        started = time.perf_counter()
        try:
            target = Target.parse(url)
        except WebhookURLError as exc:
            return Answer(None, 0.0, error=str(exc))
        try:
            return await asyncio.wait_for(self._exchange(target, body, headers, started), timeout)
        except TimeoutError:
            return Answer(None, _ms(started), error=f"no answer within {timeout:g} s")
        except (OSError, ssl.SSLError, asyncio.IncompleteReadError, ValueError) as exc:
            return Answer(None, _ms(started), error=_describe(exc))

    async def _exchange(
        self, target: Target, body: bytes, headers: Mapping[str, str], started: float
    ) -> Answer:
        for attempt in (1, 2):
            reader, writer, reused = await self._connection(target)
            try:
                writer.write(_request(target, body, headers))
                await writer.drain()
                status, snippet, keep = await _read_answer(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                writer.close()
                if reused and attempt == 1:
                    continue  # the server had closed an idle connection: one fresh try
                raise
            if keep:
                self._release(target, reader, writer)
            else:
                writer.close()
            return Answer(status, _ms(started), snippet)
        raise OSError("the connection closed")  # not reached

    async def _connection(
        self, target: Target
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bool]:
        pool = self._pools.setdefault((target.scheme, target.host, target.port), _Pool())
        while pool.idle:
            reader, writer = pool.idle.pop()
            if not writer.is_closing() and not reader.at_eof():
                return reader, writer, True
            writer.close()
        reader, writer = await asyncio.open_connection(
            target.host,
            target.port,
            ssl=self._ssl if target.scheme == "https" else None,
            server_hostname=target.host if target.scheme == "https" else None,
            limit=MAX_HEAD,
        )
        return reader, writer, False

    def _release(
        self, target: Target, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        pool = self._pools.setdefault((target.scheme, target.host, target.port), _Pool())
        if len(pool.idle) < self._max_idle:
            pool.idle.append((reader, writer))
        else:
            writer.close()

    async def aclose(self) -> None:
        for pool in self._pools.values():
            for _, writer in pool.idle:
                writer.close()
            pool.idle.clear()
        self._pools.clear()


def _request(target: Target, body: bytes, headers: Mapping[str, str]) -> bytes:
    lines = [
        f"POST {target.path} HTTP/1.1",
        f"Host: {target.host_header}",
        f"User-Agent: {USER_AGENT}",
        f"Content-Length: {len(body)}",
    ]
    for name, value in headers.items():
        if name.lower() in ("host", "content-length", "connection", "transfer-encoding"):
            continue
        if any(c in name + value for c in "\r\n\0"):
            raise ValueError(f"the header {name!r} holds a line break")
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace") + body


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, str, bool]:
    """(status, the body's first bytes, whether the connection can be reused)."""
    status_line = await reader.readuntil(b"\r\n")
    parts = status_line.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise ValueError("not an HTTP/1.x answer")
    status, http10 = int(parts[1]), parts[0] == b"HTTP/1.0"
    length, chunked, close = None, False, http10
    while True:
        line = await reader.readuntil(b"\r\n")
        if line == b"\r\n":
            break
        name, _, value = line.decode("latin-1").partition(":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == "content-length" and value.isdigit():
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value:
            chunked = True
        elif name == "connection":
            close = value == "close" or (http10 and value != "keep-alive")
    if chunked:
        body, complete = await _read_chunked(reader)
    elif length is not None:
        body = await reader.readexactly(min(length, MAX_BODY))
        complete = length <= MAX_BODY
    elif status in (204, 304) or 100 <= status < 200:
        body, complete = b"", True
    else:  # no length: the body runs to the close
        body, complete = await reader.read(MAX_BODY), False
    snippet = body[:SNIPPET].decode("utf-8", "replace")
    return status, snippet, complete and not close


async def _read_chunked(reader: asyncio.StreamReader) -> tuple[bytes, bool]:
    body = bytearray()
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass  # trailers
            return bytes(body), True
        if len(body) + size > MAX_BODY:
            body += await reader.readexactly(MAX_BODY - len(body))
            return bytes(body), False
        body += await reader.readexactly(size)
        await reader.readexactly(2)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, asyncio.IncompleteReadError):
        return "the connection closed before a full answer"
    if isinstance(exc, ssl.SSLError):
        return f"TLS: {exc.reason or exc}"
    return str(exc) or type(exc).__name__
