"""The plugin's hand-read HTTP/1.1 answers (web.testing.wire): every way mailyard may frame a
body, a closed connection told apart from a broken answer, and bounds on what is read."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from mailyard.web.testing import wire
from mailyard.web.testing.wire import Closed, Plain, ProtocolError

Answer = Callable[[bytes], bytes | None]  # request bytes -> the raw answer (None: close)
Serve = Callable[..., tuple[int, list[bytes]]]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """A one-connection server answering each request with canned bytes (and then closing,
    with `close_after`); returns its port and the requests it read."""
    listeners: list[socket.socket] = []
    threads: list[threading.Thread] = []

    def start(answer: Answer, close_after: bool = False) -> tuple[int, list[bytes]]:
        listener = socket.create_server(("127.0.0.1", 0))
        listeners.append(listener)
        seen: list[bytes] = []

        def run() -> None:
            conn, _ = listener.accept()
            with conn:
                while data := conn.recv(65536):
                    seen.append(data)
                    reply = answer(data)
                    if reply is None:
                        return
                    conn.sendall(reply)
                    if close_after:
                        return

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        threads.append(thread)
        return listener.getsockname()[1], seen

    yield start
    for listener in listeners:
        listener.close()
    for thread in threads:
        thread.join(5)


def _ok(body: bytes, extra: str = "") -> bytes:
    return f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode() + body


def test_a_request_is_written_whole_and_a_kept_connection_reused(serve: Serve) -> None:
    port, seen = serve(lambda _: _ok(b'{"a": 1}'))
    conn = Plain("127.0.0.1", port, 5)
    try:
        first = conn.exchange("DELETE", "/x?y=1", {"Accept": "application/json"}, b"[1]", 5)
        second = conn.exchange("GET", "/z", {}, None, 5)
    finally:
        conn.close()
    assert first == (200, b'{"a": 1}', True)
    assert second == (200, b'{"a": 1}', True)
    assert (
        seen[0]
        == (
            f"DELETE /x?y=1 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\n"
            "Content-Length: 3\r\n\r\n[1]"
        ).encode()
    )
    assert b"Content-Length" not in seen[1]


def test_a_chunked_body_is_joined(serve: Serve) -> None:
    answer = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n"
    )
    port, _ = serve(lambda _: answer)
    conn = Plain("127.0.0.1", port, 5)
    try:
        assert conn.exchange("GET", "/", {}, None, 5) == (200, b"hello world", True)
    finally:
        conn.close()


def test_connection_close_and_a_body_to_the_end(serve: Serve) -> None:
    port, _ = serve(lambda _: _ok(b"x", "Connection: close\r\n"))
    conn = Plain("127.0.0.1", port, 5)
    assert conn.exchange("GET", "/", {}, None, 5) == (200, b"x", False)
    conn.close()

    port, _ = serve(lambda _: b"HTTP/1.0 200 OK\r\n\r\nuntil the end", close_after=True)
    conn = Plain("127.0.0.1", port, 5)
    try:  # no length: the body ends when the server closes, and the connection with it
        assert conn.exchange("GET", "/", {}, None, 5) == (200, b"until the end", False)
    finally:
        conn.close()


def test_no_content_has_no_body(serve: Serve) -> None:
    port, _ = serve(lambda _: b"HTTP/1.1 204 No Content\r\n\r\n")
    conn = Plain("127.0.0.1", port, 5)
    try:
        assert conn.exchange("DELETE", "/", {}, None, 5) == (204, b"", True)
    finally:
        conn.close()


def test_a_closed_connection_is_told_apart_from_a_broken_answer(serve: Serve) -> None:
    port, _ = serve(lambda _: None)  # reads the request, closes without a word
    conn = Plain("127.0.0.1", port, 5)
    with pytest.raises(Closed):
        conn.exchange("GET", "/", {}, None, 5)
    conn.close()

    port, _ = serve(lambda _: b"SSH-2.0-OpenSSH\r\n\r\n")
    conn = Plain("127.0.0.1", port, 5)
    with pytest.raises(ProtocolError, match="status line"):
        conn.exchange("GET", "/", {}, None, 5)
    conn.close()


def test_what_is_read_is_bounded(serve: Serve, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wire, "MAX_HEAD", 1024)
    monkeypatch.setattr(wire, "MAX_BODY", 1000)
    endless_head = b"HTTP/1.1 200 OK\r\n" + b"X: " + b"y" * 5000
    port, _ = serve(lambda _: endless_head)
    conn = Plain("127.0.0.1", port, 5)
    with pytest.raises(ProtocolError, match="within"):
        conn.exchange("GET", "/", {}, None, 5)
    conn.close()

    port, _ = serve(lambda _: b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n")
    conn = Plain("127.0.0.1", port, 5)
    with pytest.raises(ProtocolError, match="Content-Length"):
        conn.exchange("GET", "/", {}, None, 5)
    conn.close()

    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"800\r\n" + b"z" * 2048
    port, _ = serve(lambda _: chunked)
    conn = Plain("127.0.0.1", port, 5)
    with pytest.raises(ProtocolError, match="chunked body past"):
        conn.exchange("GET", "/", {}, None, 5)
    conn.close()
