"""Webhook receivers for tests: small real HTTP servers on 127.0.0.1, port 0.

    with Receiver() as hook:                       # answers 200 to everything
        ... register hook.url with mailyard ...
        (first,) = hook.wait(1)                    # bounded wait for one request
    Receiver(answers=[500, 500])                   # 500 twice, then 200
    Receiver(handler=lambda req: 400)              # decides from the request (None: hang)
    Receiver(hang=True)                            # reads each request, never answers

Every request is recorded (body bytes as sent, headers lower-cased) in arrival order; `wait`
blocks on a condition, never on a sleep. `close` (the `with` block's end) closes every socket:
the listening one and each connection, idle, mid-request or hanging, and waits (bounded) for
their threads to end, so no test leaves a socket behind for a later one to warn about.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

WAIT = 30.0  # seconds a test waits for a condition before failing
HANG_LIMIT = 120.0  # a hanging request is let go at the latest after this (or at close)
JOIN = 10.0  # seconds `close` waits for a connection's thread to end


@dataclass(frozen=True)
class Received:
    """One request as the receiver saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Handler = Callable[[Received], int | None]  # the status to answer; None: never answer


class Receiver:
    """An HTTP server that records requests and answers as told."""

    def __init__(
        self,
        *,
        answers: Iterable[int] = (),
        handler: Handler | None = None,
        hang: bool = False,
    ) -> None:
        self._answers = list(answers)
        self.handler = handler
        self._hang = hang
        self._released = threading.Event()
        self._changed = threading.Condition()
        self.requests: list[Received] = []
        self.statuses: list[int] = []  # what was answered, in order (hung requests: none)
        self.open_hangs = 0  # requests read and not answered
        self._connections: dict[socket.socket, threading.Thread] = {}
        receiver = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as mailyard's client expects
            # Buffered, so the head and the body leave in one segment: written apart, Nagle's
            # algorithm holds the body back until the client's delayed ACK (~40 ms each).
            wbufsize = -1

            def setup(self) -> None:
                assert isinstance(self.request, socket.socket)
                with receiver._changed:
                    receiver._connections[self.request] = threading.current_thread()
                super().setup()

            def finish(self) -> None:
                try:
                    super().finish()
                finally:
                    with receiver._changed:
                        receiver._connections.pop(self.request, None)

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                received = Received(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                )
                status = receiver._take(received)
                if status is None:
                    receiver._released.wait(HANG_LIMIT)
                    self.close_connection = True
                    return
                self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            do_GET = do_POST

            def log_message(self, format: str, *args: object) -> None:
                pass  # quiet

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def _take(self, received: Received) -> int | None:
        status: int | None
        if self._hang:
            status = None
        elif self.handler is not None:
            status = self.handler(received)
        else:
            with self._changed:
                status = self._answers.pop(0) if self._answers else 200
        with self._changed:
            self.requests.append(received)
            if status is None:
                self.open_hangs += 1
            else:
                self.statuses.append(status)
            self._changed.notify_all()
        return status

    def wait_until(self, condition: Callable[[], bool], timeout: float = WAIT) -> None:
        """Block until `condition()` holds (checked at each request), at most `timeout`."""
        with self._changed:
            if not self._changed.wait_for(condition, timeout):
                raise AssertionError(
                    f"condition not met within {timeout:g} s; got {len(self.requests)} requests"
                )

    def wait(self, count: int, timeout: float = WAIT) -> list[Received]:
        """The first `count` requests, once they have come."""
        self.wait_until(lambda: len(self.requests) >= count, timeout)
        return self.requests[:count]

    def matching(self, predicate: Callable[[Received], bool]) -> list[Received]:
        with self._changed:
            return [r for r in self.requests if predicate(r)]

    def close(self) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()
        with self._changed:
            connections = dict(self._connections)
        for connection in connections:
            # Wakes a thread waiting for the next request on a kept-alive connection (OSError:
            # the client closed it already).
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        for thread in connections.values():
            thread.join(JOIN)  # the thread closes its socket as it ends

    def __enter__(self) -> Receiver:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def wait_for(condition: Callable[[], object], timeout: float = WAIT, step: float = 0.02) -> None:
    """Poll `condition` (an API read, say) until it is true; bounded. For conditions no
    receiver is told about; the step only spaces the reads, nothing waits on it to be ready."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout:g} s")
        time.sleep(step)
