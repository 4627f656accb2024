"""Shared fixtures: a real `mailyard serve` on loopback, port 0, with its own SQLite file."""

from __future__ import annotations

import os
import re
import signal
import smtplib
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

READY = re.compile(r"SMTP on 127\.0\.0\.1:(\d+), web and API on http://127\.0\.0\.1:(\d+)/")


@dataclass
class Server:
    """A running `mailyard serve` subprocess."""

    process: subprocess.Popen[str]
    smtp_port: int
    http_port: int
    db: Path
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10)

    def stop(self, sig: int = signal.SIGINT) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=15)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def start_server(
    tmp: Path, *args: str, db: Path | None = None, env: dict[str, str] | None = None
) -> Server:
    """Start `mailyard serve` on free ports and wait (bounded) for its ready line."""
    db = db or tmp / "mailyard.db"
    log = tmp / f"server-{uuid.uuid4().hex[:8]}.log"
    command = [
        sys.executable,
        "-m",
        "web",
        "serve",
        "--smtp-port",
        "0",
        "--http-port",
        "0",
        "--db",
        str(db),
        *args,
    ]
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    with log.open("w") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, text=True, env=full_env
        )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        match = READY.search(log.read_text(errors="replace"))
        if match:
            return Server(process, int(match.group(1)), int(match.group(2)), db, log)
        if process.poll() is not None:
            raise RuntimeError(f"mailyard exited with {process.returncode}:\n{log.read_text()}")
        time.sleep(0.02)
    process.kill()
    raise RuntimeError(f"mailyard did not become ready:\n{log.read_text()}")


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
