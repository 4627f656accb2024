"""No HTTP client can hold the service's sockets: a connection cap, and a header timeout that
silent and byte-dribbling clients run into (issue 9, break 7)."""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path

import httpx
from support.servers import start_process


def _connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def test_silent_and_slow_clients_are_cut_off_and_the_cap_holds(tmp_path: Path) -> None:
    srv = start_process(tmp_path, "--http-max-connections", "4", "--http-header-timeout", "1")
    with contextlib.ExitStack() as sockets:
        silent = [sockets.enter_context(_connect(srv.http_port)) for _ in range(3)]
        dribbler = sockets.enter_context(_connect(srv.http_port))
        dribbler.sendall(b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finished
        refused = sockets.enter_context(_connect(srv.http_port))
        assert refused.recv(200).startswith(b"HTTP/1.1 503")  # past the cap, at once
        for sock in [*silent, dribbler]:  # each cut off by the header timeout
            assert sock.recv(200).startswith(b"HTTP/1.1 408"), "expected a 408"
            assert sock.recv(200) == b"", "and a close"
        with srv.api() as api:  # the slots are free again
            assert api.get("/livez").status_code == 200
        assert "Traceback" not in srv.output()
    assert srv.stop() == 0


def test_kept_alive_requests_and_long_polls_are_not_cut(tmp_path: Path) -> None:
    srv = start_process(tmp_path, "--http-header-timeout", "1")
    try:
        with httpx.Client(base_url=srv.url, timeout=10) as api:
            assert api.get("/livez").status_code == 200
            waited = api.get("/api/v1/messages/wait", params={"timeout": "1.5"})
            assert waited.status_code == 408 and waited.json()["error"]["code"] == "timeout"
            assert api.get("/livez").status_code == 200  # the same connection, still open
    finally:
        srv.stop()
