"""Making and sending test mail, and reading it back through the API."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Protocol

import httpx


class Server(Protocol):
    """A running mailyard: in this process (InProcessServer) or a child (ServerProcess)."""

    @property
    def smtp_port(self) -> int: ...

    @property
    def url(self) -> str: ...


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
