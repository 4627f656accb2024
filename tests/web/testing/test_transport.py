"""The plugin's HTTP client: kept connections, a retry when the server dropped one, and errors
that say where and what."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mailyard.web.testing.client import MailyardClient
from mailyard.web.testing.errors import ServiceError
from mailyard.web.testing.service import connect_server, parse_host_port
from mailyard.web.testing.transport import HttpTransport


class Handler(BaseHTTPRequestHandler):
    """Answers JSON; `/drop` answers then closes the connection without saying so, as a server
    whose keep-alive timeout ran out does; `/api/v1/messages/cursor` is 404 (not mailyard)."""

    protocol_version = "HTTP/1.1"
    connections = 0

    def setup(self) -> None:
        type(self).connections += 1
        super().setup()

    def do_GET(self) -> None:
        if self.path.endswith("/api/v1/messages/cursor"):
            self._answer(404, {"error": {"message": "no such route"}})
            return
        self._answer(200, {"path": self.path})
        if self.path.endswith("/drop"):
            self.close_connection = True

    def _answer(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def base() -> Iterator[str]:
    Handler.connections = 0
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_requests_share_one_kept_connection(base: str) -> None:
    transport = HttpTransport(base + "/prefix/")
    try:
        paths = [transport.request("GET", f"/n{i}", None, 5).json()["path"] for i in range(3)]
    finally:
        transport.close()
    assert paths == ["/prefix/n0", "/prefix/n1", "/prefix/n2"]
    assert Handler.connections == 1


def test_a_connection_the_server_dropped_is_replaced(base: str) -> None:
    transport = HttpTransport(base)
    try:
        assert transport.request("GET", "/drop", None, 5).status == 200
        assert transport.request("GET", "/after", None, 5).json() == {"path": "/after"}
    finally:
        transport.close()
    assert Handler.connections == 2


def test_nothing_listening_says_where() -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    transport = HttpTransport(f"http://127.0.0.1:{port}")
    with pytest.raises(ServiceError, match=f"cannot reach mailyard at http://127.0.0.1:{port}"):
        transport.request("GET", "/", None, 5)


def test_only_http_urls() -> None:
    with pytest.raises(ServiceError, match="'ftp://x' is not an http"):
        HttpTransport("ftp://x")


def test_a_server_that_is_not_mailyard_is_refused(base: str) -> None:
    with pytest.raises(ServiceError, match="the cursor is not in mailyard"):
        connect_server(base)


def test_errors_carry_the_servers_message(base: str) -> None:
    client = MailyardClient(HttpTransport(base))
    try:
        with pytest.raises(ServiceError, match="the cursor is not in mailyard"):
            client.cursor()
    finally:
        client.close()


def test_host_and_port() -> None:
    assert parse_host_port("mailyard:1025") == ("mailyard", 1025)
    assert parse_host_port("[::1]:2525") == ("::1", 2525)
    for bad in ("mailyard", ":25", "host:0", "host:99999", "host:x"):
        with pytest.raises(ServiceError, match="is not host:port"):
            parse_host_port(bad)
