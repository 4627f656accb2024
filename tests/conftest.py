"""Shared fixtures: a real `mailyard serve` on loopback, port 0, with its own SQLite file."""

from __future__ import annotations

import smtplib
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from mailyard.web.testing.harness import ServerProcess


class Server(ServerProcess):
    """A running `mailyard serve` (web.harness), with an API client at hand."""

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10)


def start_server(
    tmp: Path, *args: str, db: Path | None = None, env: dict[str, str] | None = None
) -> Server:
    """Start `mailyard serve` on free ports and wait (bounded) for its ready line."""
    return Server.start(tmp, *args, db=db, env=env)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("server"))
    yield srv
    code = srv.stop()
    assert code == 0, srv.output()


@pytest.fixture
def api(server: Server) -> Iterator[httpx.Client]:
    with server.api() as client:
        yield client


@pytest.fixture
def mailbox() -> str:
    """A mailbox of this test's own: tests log in with it, so they never see each other's mail."""
    return "t-" + uuid.uuid4().hex[:12]


def make_message(
    subject: str = "Hello",
    sender: str = "App <app@example.com>",
    to: str = "user@example.com",
    text: str = "Hello there",
    html: str | None = None,
    **headers: str,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg


def send(
    server: Server, msg: EmailMessage, mailbox: str | None = None, password: str = "secret"
) -> None:
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=10) as smtp:
        if mailbox:
            smtp.login(mailbox, password)
        smtp.send_message(msg)


def send_raw(
    server: Server,
    raw: bytes,
    rcpt: list[str],
    mailbox: str | None = None,
    sender: str = "app@example.com",
) -> None:
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=30) as smtp:
        if mailbox:
            smtp.login(mailbox, "secret")
        smtp.sendmail(sender, rcpt, raw)


def messages(api: httpx.Client, mailbox: str, query: str | None = None) -> list[dict[str, object]]:
    if query is None:
        response = api.get("/api/v1/messages", params={"mailbox": mailbox})
    else:
        response = api.get("/api/v1/search", params={"mailbox": mailbox, "query": query})
    assert response.status_code == 200, response.text
    result: list[dict[str, object]] = response.json()["messages"]
    return result
