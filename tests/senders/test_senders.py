"""Senders against real servers on loopback: moto for SES, a recording server for Resend, our sink."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import boto3
import httpx
import pytest
import trustme
from botocore.config import Config
from support.mail import Server, messages
from support.servers import start_inprocess as start_server

from mailyard.senders import (
    Outgoing,
    ResendSender,
    Retrying,
    SendError,
    SESSender,
    SMTPRelay,
    SMTPSender,
    normalize_line_endings,
)


def outgoing(**changes: Any) -> Outgoing:
    values: dict[str, Any] = {
        "from_address": "no-reply@auth.example.com",
        "from_name": "Media Conductor",
        "to": ("jane@example.com",),
        "subject": "Reset your password",
        "text": "Reset: https://auth.example.com/r?token=abc",
        "html": "<p><a href='https://auth.example.com/r?token=abc'>Reset</a></p>",
        "mime": b"From: no-reply@auth.example.com\r\nTo: jane@example.com\r\nSubject: Reset\r\n"
        b"Message-ID: <abc@auth.example.com>\r\n\r\nReset: https://auth.example.com/r?token=abc\r\n",
        "headers": (("Auto-Submitted", "auto-generated"),),
        "tags": (("concept", "password-reset"),),
        "idempotency_key": "7d1f6c1e-0000-4000-8000-000000000001",
    }
    values.update(changes)
    return Outgoing(**values)


# -- SES, against moto's independent implementation -------------------------------------------


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def ses_client(url: str) -> Any:
    return boto3.client(
        "sesv2",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKIDTEST",
        aws_secret_access_key="ses-canary-secret",
        config=Config(retries={"max_attempts": 1}),
    )


def test_ses_request_carries_configuration_set_tags_display_name_and_both_bodies(
    moto_url: str,
) -> None:
    client = ses_client(moto_url)
    client.create_email_identity(EmailIdentity="auth.example.com")
    client.create_configuration_set(ConfigurationSetName="bluauth-events")
    wire: list[dict[str, Any]] = []
    client.meta.events.register(
        "before-send.sesv2.SendEmail", lambda request, **_: wire.append(json.loads(request.body))
    )
    sender = SESSender(client, configuration_set="bluauth-events", source_app="bluauth")
    receipt = asyncio.run(sender.send(outgoing(from_name="Zürich Bänk")))
    assert receipt.provider == "ses" and receipt.message_id
    (body,) = wire
    assert body["ConfigurationSetName"] == "bluauth-events"
    assert {"Name": "source_app", "Value": "bluauth"} in body["EmailTags"]
    assert {"Name": "concept", "Value": "password-reset"} in body["EmailTags"]
    assert body["FromEmailAddress"].startswith("=?utf-8?") and body["FromEmailAddress"].endswith(
        "<no-reply@auth.example.com>"
    )
    simple = body["Content"]["Simple"]
    assert simple["Subject"]["Data"] == "Reset your password"
    assert "token=abc" in simple["Body"]["Text"]["Data"] and "<a " in simple["Body"]["Html"]["Data"]
    assert body["Destination"]["ToAddresses"] == ["jane@example.com"]
    assert {"Name": "Auto-Submitted", "Value": "auto-generated"} in simple["Headers"]


def test_ses_raw_content_still_names_the_destination(moto_url: str) -> None:
    client = ses_client(moto_url)
    client.create_email_identity(EmailIdentity="auth.example.com")
    wire: list[dict[str, Any]] = []
    client.meta.events.register(
        "before-send.sesv2.SendEmail", lambda request, **_: wire.append(json.loads(request.body))
    )
    asyncio.run(SESSender(client, raw=True).send(outgoing(bcc=("audit@example.com",))))
    assert "Raw" in wire[0]["Content"]
    assert wire[0]["Destination"]["BccAddresses"] == ["audit@example.com"]


def test_ses_errors_keep_the_provider_code(moto_url: str) -> None:
    sender = SESSender(ses_client(moto_url))
    with pytest.raises(SendError) as error:
        asyncio.run(sender.send(outgoing(from_address="nobody@unverified.example")))
    assert error.value.code == "MessageRejected" and not error.value.retryable


def test_ses_unreachable_endpoint_is_retryable() -> None:
    sender = SESSender(ses_client("http://127.0.0.1:9"))
    with pytest.raises(SendError) as error:
        asyncio.run(sender.send(outgoing()))
    assert error.value.retryable and error.value.code == "ConnectionError"


# -- Resend, against a local server that records each request -----------------------------------


class Recorder(BaseHTTPRequestHandler):
    script: ClassVar[list[tuple[int, dict[str, Any], dict[str, str]]]] = []
    seen: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        Recorder.seen.append(
            {
                "path": self.path,
                "headers": dict(self.headers),
                "body": json.loads(self.rfile.read(length)),
            }
        )
        status, body, headers = (
            Recorder.script.pop(0) if Recorder.script else (200, {"id": "fallback"}, {})
        )
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def resend_url() -> Iterator[str]:
    Recorder.script, Recorder.seen = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _resend(client: httpx.AsyncClient, url: str, key: str = "re_canary_key_123") -> Retrying:
    async def no_wait(seconds: float) -> None:
        waits.append(seconds)

    waits: list[float] = []
    sender = Retrying(ResendSender(client, key, url), attempts=4, sleep=no_wait)
    sender.waits = waits  # type: ignore[attr-defined]
    return sender


async def test_resend_request_and_idempotency_key_reused_on_retry(resend_url: str) -> None:
    Recorder.script = [
        (
            500,
            {
                "statusCode": 500,
                "name": "application_error",
                "message": "An unexpected error occurred.",
            },
            {},
        ),
        (
            429,
            {"statusCode": 429, "name": "rate_limit_exceeded", "message": "Too many requests."},
            {"retry-after": "2"},
        ),
        (200, {"id": "49a3999c-0ce1-4ea6-ab68-afcd6dc2e794"}, {}),
    ]
    async with httpx.AsyncClient() as client:
        sender = _resend(client, resend_url)
        receipt = await sender.send(outgoing())
    assert receipt.message_id == "49a3999c-0ce1-4ea6-ab68-afcd6dc2e794" and receipt.attempts == 3
    keys = {r["headers"]["Idempotency-Key"] for r in Recorder.seen}
    assert keys == {"7d1f6c1e-0000-4000-8000-000000000001"} and len(Recorder.seen) == 3
    assert sender.waits[1] == 2.0  # type: ignore[attr-defined]  # retry-after honoured
    first = Recorder.seen[0]
    assert (
        first["path"] == "/emails"
        and first["headers"]["Authorization"] == "Bearer re_canary_key_123"
    )
    body = first["body"]
    assert body["from"] == "Media Conductor <no-reply@auth.example.com>"
    assert body["to"] == ["jane@example.com"] and body["subject"] == "Reset your password"
    assert body["html"].startswith("<p>") and "token=abc" in body["text"]
    assert body["tags"] == [{"name": "concept", "value": "password-reset"}]


async def test_resend_validation_errors_are_not_retried(resend_url: str) -> None:
    Recorder.script = [
        (422, {"statusCode": 422, "name": "validation_error", "message": "Invalid `to` field."}, {})
    ]
    async with httpx.AsyncClient() as client:
        with pytest.raises(SendError) as error:
            await _resend(client, resend_url).send(outgoing())
    assert error.value.code == "validation_error" and error.value.status == 422
    assert len(Recorder.seen) == 1


# -- SMTP, to our own sink ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, trustme.CA]]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    folder = tmp_path_factory.mktemp("relay")
    cert.private_key_and_cert_chain_pem.write_to_path(str(folder / "cert.pem"))
    cert.private_key_pem.write_to_path(str(folder / "key.pem"))
    (folder / "users").write_text("relay-user:relay-canary-pass\n")
    server = start_server(
        folder,
        "--smtp-tls-cert",
        str(folder / "cert.pem"),
        "--smtp-tls-key",
        str(folder / "key.pem"),
        "--smtp-auth-file",
        str(folder / "users"),
        "--smtp-require-tls",
    )
    yield server, ca
    server.stop()


def _context(ca: trustme.CA) -> Any:
    import ssl

    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def test_smtp_with_starttls_and_auth(
    tls_sink: tuple[Server, trustme.CA], caplog: pytest.LogCaptureFixture
) -> None:
    server, ca = tls_sink
    relay = SMTPRelay(
        host="127.0.0.1",
        port=server.smtp_port,
        username="relay-user",
        password="relay-canary-pass",
        tls="starttls",
        tls_context=_context(ca),
    )
    receipt = asyncio.run(SMTPSender(relay).send(outgoing()))
    with server.api() as api:
        (found,) = messages(api, "relay-user")
        full = api.get(f"/api/v1/message/{found['ID']}").json()
    assert receipt.message_id == found["ID"]  # the sink's "queued as"
    assert full["Envelope"]["TLS"] is True
    assert "relay-canary-pass" not in repr(relay) and "relay-canary-pass" not in caplog.text


def test_smtp_wrong_password_is_a_clear_error(tls_sink: tuple[Server, trustme.CA]) -> None:
    server, ca = tls_sink
    relay = SMTPRelay(
        host="127.0.0.1",
        port=server.smtp_port,
        username="relay-user",
        password="wrong",
        tls="starttls",
        tls_context=_context(ca),
    )
    with pytest.raises(SendError) as error:
        asyncio.run(SMTPSender(relay).send(outgoing()))
    assert error.value.code == "smtp_535" and "wrong" not in str(error.value)


class _StubbornRelay(threading.Thread):
    """An SMTP relay with STARTTLS that answers QUIT and then says nothing more, not even TLS's
    close_notify, until the test is done: a client waiting for it would keep its socket."""

    def __init__(self, context: Any) -> None:
        super().__init__(daemon=True)
        self.context = context
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.done = threading.Event()

    def run(self) -> None:
        conn, _ = self.listener.accept()
        plain = conn.makefile("rb")
        conn.sendall(b"220 stubborn ESMTP\r\n")
        plain.readline()  # EHLO
        conn.sendall(b"250-stubborn\r\n250 STARTTLS\r\n")
        plain.readline()  # STARTTLS
        conn.sendall(b"220 go ahead\r\n")
        tls = self.context.wrap_socket(conn, server_side=True)
        lines = tls.makefile("rb")
        while line := lines.readline():
            verb = line[:4].upper()
            if verb == b"DATA":
                tls.sendall(b"354 go on\r\n")
                while lines.readline() not in (b".\r\n", b""):
                    pass
                tls.sendall(b"250 queued as STUBBORN\r\n")
            elif verb == b"QUIT":
                tls.sendall(b"221 bye\r\n")
                self.done.wait(30)  # no close_notify, no close
                break
            else:
                tls.sendall(b"250 ok\r\n")
        tls.close()


def _sockets_to(port: int) -> int:
    """This process's open sockets whose far end is loopback `port` (from /proc)."""
    inodes = set()
    for line in Path("/proc/self/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[2].split(":")[1], 16) == port:
            inodes.add(fields[9])
    held = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the listing's own descriptor is gone already
            held.add(os.readlink(f"/proc/self/fd/{fd}"))
    return len({f"socket:[{inode}]" for inode in inodes} & held)


def test_smtp_leaves_no_socket_open_when_a_tls_relay_never_closes(
    tls_sink: tuple[Server, trustme.CA],
) -> None:
    _, ca = tls_sink
    cert = ca.issue_cert("127.0.0.1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    relay = _StubbornRelay(context)
    relay.start()
    try:
        sender = SMTPSender(
            SMTPRelay(host="127.0.0.1", port=relay.port, tls="starttls", tls_context=_context(ca))
        )
        receipt = asyncio.run(sender.send(outgoing()))  # a loop that ends right after the send
        assert receipt.message_id == "STUBBORN"
        assert _sockets_to(relay.port) == 0
    finally:
        relay.done.set()
        relay.join(10)
        relay.listener.close()


def test_smtp_relays_smuggling_endings_as_one_normalised_message(server: Server) -> None:
    mime = b"Subject: smuggle\r\n\r\nbody\r.\r\nMAIL FROM:<spoof@bank.example>\n.\nmore\r\n"
    relay = SMTPRelay(
        host="127.0.0.1", port=server.smtp_port, tls="none", username="smuggle-box", password="x"
    )
    asyncio.run(SMTPSender(relay).send(outgoing(mime=mime)))
    with server.api() as api:
        (found,) = messages(api, "smuggle-box")
        raw = api.get(f"/api/v1/message/{found['ID']}/raw").content
    assert raw == normalize_line_endings(mime)
    assert b"\r" not in raw.replace(b"\r\n", b"") and b"\n" not in raw.replace(b"\r\n", b"")


def test_line_endings_are_normalised() -> None:
    assert normalize_line_endings(b"a\rb\nc\r\nd\n\r") == b"a\r\nb\r\nc\r\nd\r\n\r\n"


def test_smtp_off_loopback_requires_tls() -> None:
    with pytest.raises(ValueError, match="needs starttls"):
        SMTPRelay(host="mail.example.com", tls="none")


def test_smtp_unreachable_relay_is_retryable() -> None:
    relay = SMTPRelay(host="127.0.0.1", port=9, tls="none", timeout=5)
    with pytest.raises(SendError) as error:
        asyncio.run(SMTPSender(relay).send(outgoing()))
    assert error.value.retryable
