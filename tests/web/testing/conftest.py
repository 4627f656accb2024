"""The plugin's pieces against a real mailyard in this process: its API reached through
`InProcessServer.api()` (a transport injected into the plugin's client, no socket), its SMTP
sink on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from mailyard.web.testing.client import MailyardClient
from mailyard.web.testing.inbox import Inbox
from mailyard.web.testing.inprocess import InProcessServer
from mailyard.web.testing.service import MailyardServer
from mailyard.web.testing.transport import Reply


class ApiTransport:
    """The plugin's `Transport` over an httpx client of the in-process server."""

    def __init__(self, api: httpx.Client) -> None:
        self.api = api
        self.requests = 0

    def request(self, method: str, path: str, body: bytes | None, timeout: float) -> Reply:
        self.requests += 1
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        answer = self.api.request(method, path, content=body, headers=headers, timeout=timeout)
        return Reply(answer.status_code, answer.content)

    def close(self) -> None:
        pass


@pytest.fixture
def transport(api: httpx.Client) -> ApiTransport:
    return ApiTransport(api)


@pytest.fixture
def mail_server(server: InProcessServer, transport: ApiTransport) -> MailyardServer:
    """What the `mailyard_server` fixture would give, for the module's in-process mailyard."""
    return MailyardServer(server.url, "127.0.0.1", server.smtp_port, MailyardClient(transport))


@pytest.fixture
def inbox(mail_server: MailyardServer) -> Iterator[Inbox]:
    """What the `mailyard` fixture gives a test."""
    opened = Inbox.open(mail_server, timeout=5)
    yield opened
    opened.close()
