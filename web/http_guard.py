"""Limits on HTTP connections, so no client can hold the service's sockets or fill its logs.

uvicorn answers a connection that never finishes its request headers, or that dribbles them a
byte at a time, for as long as the client likes, and accepts connections until the process runs
out of file descriptors (then asyncio logs every failed accept). This protocol adds:

- a cap on open connections: past it a new connection gets `503` and is closed at once;
- a header timeout: a request's headers must arrive within `header_timeout` seconds of its
  first byte (or of the connection opening), else `408` and close;
- the keep-alive idle timeout stays uvicorn's (`timeout_keep_alive`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("mailyard.http")

_REFUSED = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\nconnection: close\r\n"
    b"retry-after: 1\r\ncontent-length: 34\r\n\r\ntoo many connections, try again\r\n\r\n"
)
_TOO_SLOW = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain\r\nconnection: close\r\n"
    b"content-length: 37\r\n\r\nthe request headers came too slowly\r\n\r\n"
)


@dataclass
class ConnectionGuard:
    """Shared by every connection of one server."""

    max_connections: int = 1000
    header_timeout: float = 10.0
    open: int = 0
    refused: int = 0
    timed_out: int = 0
    _connections: set[asyncio.BaseProtocol] = field(default_factory=set, repr=False)


def guarded_protocol(guard: ConnectionGuard) -> type[H11Protocol]:
    """uvicorn's h11 protocol with `guard`'s limits."""

    class GuardedH11Protocol(H11Protocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._header_timer: asyncio.TimerHandle | None = None
            self._counted = False

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            if guard.open >= guard.max_connections:
                guard.refused += 1
                transport.write(_REFUSED)
                transport.close()
                return
            guard.open += 1
            self._counted = True
            super().connection_made(transport)
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            if not self._counted:
                return
            self._counted = False
            guard.open -= 1
            self._disarm()
            super().connection_lost(exc)

        def _between_requests(self) -> bool:
            return self.cycle is None or self.cycle.response_complete

        def data_received(self, data: bytes) -> None:
            if self._between_requests() and self._header_timer is None:
                self._arm()  # a new request on a kept-alive connection starts its clock now
            super().data_received(data)
            if not self._between_requests():
                self._disarm()  # the headers are complete

        def _arm(self) -> None:
            self._header_timer = self.loop.call_later(guard.header_timeout, self._too_slow)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _too_slow(self) -> None:
            self._header_timer = None
            if self._between_requests() and not self.transport.is_closing():
                guard.timed_out += 1
                self.transport.write(_TOO_SLOW)
                self.transport.close()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._disarm()  # idle now: uvicorn's keep-alive timeout takes over

    return GuardedH11Protocol
