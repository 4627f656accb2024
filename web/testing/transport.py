"""How the plugin reaches mailyard's API: a `Transport` sends one request and returns its reply.

`HttpTransport` is the real one: a few keep-alive connections (`web.testing.wire`: no import
cost at collection, a tenth of a millisecond of CPU per request on loopback, where a fresh
connection per request would cost a handshake each). Tests of the plugin inject another
transport over an in-process server instead of patching.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from mailyard.web.testing.errors import ServiceError
from mailyard.web.testing.wire import Connection, Plain, ProtocolError, Secure

MAX_IDLE = 4  # connections kept open; more only when threads wait at the same time
HEADERS = {"Accept": "application/json", "User-Agent": "mailyard-pytest"}


@dataclass(frozen=True)
class Reply:
    """The status and body of one answer."""

    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Transport(Protocol):
    """Sends one request to mailyard; `path` includes the query string."""

    def request(self, method: str, path: str, body: bytes | None, timeout: float) -> Reply: ...

    def close(self) -> None: ...


class HttpTransport:
    """Requests over HTTP/1.1 keep-alive connections to one mailyard, safe across threads."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ServiceError(f"the mailyard URL {base_url!r} is not an http(s) URL")
        self.base_url = base_url.rstrip("/")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._idle: list[Connection] = []
        self._lock = threading.Lock()

    def request(self, method: str, path: str, body: bytes | None, timeout: float) -> Reply:
        headers = dict(HEADERS)
        if body is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            conn: Connection | None = None
            reused = False
            try:
                conn, reused = self._take(timeout)
                status, data, keep = conn.exchange(
                    method, self._prefix + path, headers, body, timeout
                )
            except ConnectionError as exc:  # `Closed` among them
                if conn is not None:
                    conn.close()
                # A kept connection the server closed while idle (uvicorn drops them after
                # 5 s): every request of ours is idempotent, so send it once more, afresh.
                if reused and attempt == 1:
                    continue
                raise ServiceError(f"cannot reach mailyard at {self.base_url}: {exc}") from exc
            except (OSError, ProtocolError) as exc:
                if conn is not None:
                    conn.close()
                raise ServiceError(
                    f"{method} {self.base_url}{path[:120]} failed: {exc or type(exc).__name__}"
                ) from exc
            if keep:
                self._give(conn)
            else:
                conn.close()
            return Reply(status, data)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _take(self, timeout: float) -> tuple[Connection, bool]:
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is not None:
            return conn, True
        if self._https:
            return Secure(self._host, self._port, timeout), False
        return Plain(self._host, self._port or 80, timeout), False

    def _give(self, conn: Connection) -> None:
        with self._lock:
            if len(self._idle) < MAX_IDLE:
                self._idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
