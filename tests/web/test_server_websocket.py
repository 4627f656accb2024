"""`mailyard serve` answers a WebSocket upgrade although uvicorn's WebSocket protocol is only
imported on the first one (web.server._websocket_protocol): a live event arrives over it."""

from __future__ import annotations

import json
import smtplib
from pathlib import Path

from websockets.sync.client import connect

from mailyard.web.testing.service import start_server


def test_the_event_socket_works_on_a_real_server(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        url = server.http_url.replace("http://", "ws://").rstrip("/") + "/api/events"
        with connect(url, open_timeout=10) as socket:
            with smtplib.SMTP(server.smtp_host, server.smtp_port, timeout=10) as smtp:
                smtp.sendmail(
                    "app@example.com",
                    ["jane@example.com"],
                    b"To: jane@example.com\r\nSubject: over the socket\r\n\r\nhi\r\n",
                )
            kinds = []
            for _ in range(20):  # bounded: "stats" frames may come first
                frame = json.loads(socket.recv(timeout=10))
                kinds.append(frame["Type"])
                if frame["Type"] == "new":
                    assert frame["Data"]["Subject"] == "over the socket"
                    break
            assert "new" in kinds
    finally:
        server.close()
