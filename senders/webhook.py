"""POSTing webhook deliveries: a small HTTP/1.1 client with keep-alive connections per endpoint.

Why not httpx here: a delivery is one small POST whose answer we only need the status and the
first bytes of; httpx spends ~0.3 ms of CPU on each, and fanning a thousand events a second out
to ten endpoints on the same event loop as the SMTP sink needs ten times less. Connections
(`http1.Connection`) are pooled per host and port; a connection is in one exchange at a time,
so one that hangs holds only itself, and every exchange has a deadline. Every connection the
client opened is closed by the client: when its exchange fails or is cancelled (the deadline),
and at `aclose`, in use or idle.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from mailyard.senders.http1 import Connection

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
    busy: float = 0.0  # seconds the client itself ran on the event loop for it (not waiting)

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


class WebhookClient:
    """POSTs to endpoints, reusing connections; `max_idle` kept open per endpoint."""

    def __init__(self, *, ssl_context: ssl.SSLContext | None = None, max_idle: int = 16) -> None:
        # Made on the first https POST: loading the system's CA store is tens of milliseconds
        # of every `mailyard serve` start otherwise, for endpoints that are mostly http.
        self._ssl = ssl_context
        self._max_idle = max_idle
        self._pools: dict[tuple[str, str, int], list[Connection]] = {}
        self._open: set[Connection] = set()  # every connection not yet closed by us, any state
        self._closed = False

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, timeout: float
    ) -> Answer:
        started = time.perf_counter()
        try:
            target = _target(url)
        except WebhookURLError as exc:
            return Answer(None, 0.0, error=str(exc))
        try:
            # asyncio.timeout, not wait_for: wait_for runs the exchange as a task of its own,
            # and a task per POST was a tenth of a delivery's cost when fanning out (measured).
            async with asyncio.timeout(timeout):
                return await self._exchange(target, body, headers, started)
        except TimeoutError:
            return Answer(None, _ms(started), error=f"no answer within {timeout:g} s")
        except (OSError, ssl.SSLError, ValueError) as exc:
            return Answer(None, _ms(started), error=_describe(exc))

    async def _exchange(
        self, target: Target, body: bytes, headers: Mapping[str, str], started: float
    ) -> Answer:
        request = _request(target, body, headers)
        busy = time.perf_counter() - started
        for attempt in (1, 2):
            connection, reused = await self._connection(target)
            try:
                began = time.perf_counter()
                answer = connection.send(request)
                busy += time.perf_counter() - began
                status, snippet, keep = await answer
            except (OSError, ValueError):
                self._drop(connection)
                if reused and attempt == 1 and not self._closed:
                    continue  # the server had closed an idle connection: one fresh try
                raise
            except BaseException:
                # Cancelled: the deadline passed mid-exchange (a hanging endpoint). The
                # connection is in an unknown state; close it rather than leak the socket.
                self._drop(connection)
                raise
            began = time.perf_counter()
            if keep:
                self._release(target, connection)
            else:
                self._drop(connection, abort=False)
            text = snippet.decode("utf-8", "replace")
            return Answer(status, _ms(started), text, busy=busy + time.perf_counter() - began)
        raise OSError("the connection closed")  # not reached

    async def _connection(self, target: Target) -> tuple[Connection, bool]:
        if self._closed:
            raise OSError("the webhook client is closed")
        pool = self._pools.setdefault((target.scheme, target.host, target.port), [])
        while pool:
            connection = pool.pop()
            if not connection.closed:
                return connection, True
            self._open.discard(connection)  # the server closed it while it was idle
        # Cancelled while connecting, asyncio closes the socket itself; once made, it is ours.
        _, connection = await asyncio.get_running_loop().create_connection(
            lambda: Connection(MAX_HEAD, MAX_BODY, SNIPPET),
            target.host,
            target.port,
            ssl=self._tls() if target.scheme == "https" else None,
            server_hostname=target.host if target.scheme == "https" else None,
        )
        self._open.add(connection)
        return connection, False

    def _tls(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = ssl.create_default_context()
        return self._ssl

    def _release(self, target: Target, connection: Connection) -> None:
        pool = self._pools.setdefault((target.scheme, target.host, target.port), [])
        if len(pool) < self._max_idle and not self._closed:
            pool.append(connection)
        else:
            self._drop(connection, abort=False)

    def _drop(self, connection: Connection, *, abort: bool = True) -> None:
        self._open.discard(connection)
        if abort:
            connection.abort()
        else:
            connection.close()

    @property
    def open_connections(self) -> int:
        """Connections opened and not yet closed by the client (idle or in an exchange)."""
        return len(self._open)

    async def aclose(self) -> None:
        """Close every connection, idle or in an exchange (which then fails); posts after this
        fail without connecting."""
        self._closed = True
        self._pools.clear()
        connections, self._open = self._open, set()
        for connection in connections:
            connection.abort()
        # The sockets close in connection_lost, which the loop runs next: let it, so that a
        # loop ending right after this leaves no transport open.
        await asyncio.sleep(0)


@functools.lru_cache(maxsize=256)
def _target(url: str) -> Target:
    """`Target.parse`, once per URL in use: every delivery to an endpoint posts to its URL."""
    return Target.parse(url)


@functools.lru_cache(maxsize=256)
def _request_line(target: Target) -> str:
    return f"POST {target.path} HTTP/1.1\r\nHost: {target.host_header}\r\nUser-Agent: {USER_AGENT}"


def _request(target: Target, body: bytes, headers: Mapping[str, str]) -> bytes:
    lines = [_request_line(target), f"Content-Length: {len(body)}"]
    for name, value in headers.items():
        if name.lower() in ("host", "content-length", "connection", "transfer-encoding"):
            continue
        if any(c in name + value for c in "\r\n\0"):
            raise ValueError(f"the header {name!r} holds a line break")
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace") + body


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ssl.SSLError):
        return f"TLS: {exc.reason or exc}"
    return str(exc) or type(exc).__name__
