"""A shipped logo in API sends: the mailer hands Resend and SES the HTML with `cid:` and the image
beside it as an inline attachment, never the preview's `data:` URI (Gmail shows no data: images).
Against a recording server for Resend and moto's server for SES, as in test_senders.py; SES keeps
Simple content, which carries inline attachments (SES v2), and Raw sends the message as built."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import threading
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import boto3
import httpx
import pytest
from botocore.config import Config

from mailyard.renderer import build_message, cid_html, render, sample, sample_theme
from mailyard.renderer.images import shipped_logo
from mailyard.senders import Outgoing, ResendSender, Sender, SESSender
from mailyard.senders.outgoing import InlinePart

FROM = "no-reply@auth.example.com"
TO = "jane@example.com"


def _outgoing(concept: str, theme: str | None) -> Outgoing:
    """What the mailer hands a sender (sandbox/outbound/mailer.py), built the same way."""
    email = render(sample(concept), None if theme is None else sample_theme(theme))
    html, images = cid_html(email, "auth.example.com")
    return Outgoing(
        from_address=FROM,
        from_name=email.from_name,
        to=(TO,),
        subject=email.subject,
        text=email.text,
        html=html,
        inline=tuple(InlinePart(cid, i.filename, i.content_type, i.data) for cid, i in images),
        mime=build_message(email, sender=FROM, to=TO).as_bytes(),
    )


def _cid_src(html: str) -> list[str]:
    return re.findall(r'<img src="cid:([^"]+)"', html)


# -- Resend, against a local server that records each request -----------------------------------


class Recorder(BaseHTTPRequestHandler):
    seen: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        Recorder.seen.append(json.loads(self.rfile.read(length)))
        data = b'{"id": "49a3999c-0ce1-4ea6-ab68-afcd6dc2e794"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def resend_url() -> Iterator[str]:
    Recorder.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_resend_gets_the_logo_as_an_inline_attachment_the_html_refers_to(
    resend_url: str,
) -> None:
    async with httpx.AsyncClient() as client:
        sender = ResendSender(client, "re_canary_key_123", resend_url)
        await sender.send(_outgoing("password-reset", "acme"))
    (body,) = Recorder.seen
    (attachment,) = body["attachments"]
    assert base64.b64decode(attachment["content"]) == shipped_logo("mailyard:logo/acme.png").data
    assert attachment["filename"] == "acme.png" and attachment["content_type"] == "image/png"
    cid = attachment["content_id"]
    assert cid.endswith("@auth.example.com") and len(cid) < 128  # Resend's limit
    assert _cid_src(body["html"]) == [cid]
    assert "data:image" not in body["html"]


async def test_resend_gets_no_attachments_without_a_shipped_logo(resend_url: str) -> None:
    async with httpx.AsyncClient() as client:
        sender = ResendSender(client, "re_canary_key_123", resend_url)
        await sender.send(_outgoing("welcome", None))  # the built-in theme: a name, no logo
    (body,) = Recorder.seen
    assert "attachments" not in body and "<img" not in body["html"]


# -- SES, against moto's independent implementation -------------------------------------------


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _ses(url: str, wire: list[dict[str, Any]]) -> Any:
    client = boto3.client(
        "sesv2",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKIDTEST",
        aws_secret_access_key="ses-canary-secret",
        config=Config(retries={"max_attempts": 1}),
    )
    client.create_email_identity(EmailIdentity="auth.example.com")
    client.meta.events.register(
        "before-send.sesv2.SendEmail", lambda request, **_: wire.append(json.loads(request.body))
    )
    return client


def test_ses_simple_content_carries_the_logo_inline(moto_url: str) -> None:
    wire: list[dict[str, Any]] = []
    receipt = asyncio.run(SESSender(_ses(moto_url, wire)).send(_outgoing("login-code", "sakura")))
    assert receipt.message_id
    simple = wire[0]["Content"]["Simple"]
    (attachment,) = simple["Attachments"]
    raw = base64.b64decode(attachment["RawContent"])
    assert raw == shipped_logo("mailyard:logo/sakura.png").data
    assert attachment["ContentDisposition"] == "INLINE"
    assert attachment["ContentTransferEncoding"] == "BASE64"
    assert attachment["FileName"] == "sakura.png" and attachment["ContentType"] == "image/png"
    html = simple["Body"]["Html"]["Data"]
    assert _cid_src(html) == [attachment["ContentId"]] and "data:image" not in html


def test_ses_raw_content_carries_the_logo_in_its_own_mime(moto_url: str) -> None:
    wire: list[dict[str, Any]] = []
    sender = SESSender(_ses(moto_url, wire), raw=True)
    asyncio.run(sender.send(_outgoing("welcome", "nordlicht")))
    assert "Attachments" not in json.dumps(wire[0])  # the message holds its own parts
    message = message_from_bytes(
        base64.b64decode(wire[0]["Content"]["Raw"]["Data"]), policy=default
    )
    (image,) = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert image.get_content() == shipped_logo("mailyard:logo/nordlicht.png").data
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert [f"<{cid}>" for cid in _cid_src(html)] == [image["Content-ID"].strip()]


# -- the mailer builds that Outgoing ------------------------------------------------------------


async def test_the_mailer_hands_api_senders_the_cid_html_and_its_images(resend_url: str) -> None:
    # Imported here: the mailer lives in the sandbox, which this module otherwise leaves alone.
    from mailyard.sandbox.outbound.allowlist import Allowlist
    from mailyard.sandbox.outbound.mailer import Mailer
    from mailyard.sandbox.outbound.routing import Route

    route = Route(provider="resend", configured=True, from_address=FROM, real=True)
    async with httpx.AsyncClient() as client:
        sender: Sender = ResendSender(client, "re_canary_key_123", resend_url)
        mailer = Mailer(route, sender, log_key=b"k" * 32, allowlist=Allowlist.parse(TO))
        result = await mailer.send(sample("invitation"), TO, theme=sample_theme("nordlicht"))
    assert result.outcome == "sent", result
    (body,) = Recorder.seen
    (attachment,) = body["attachments"]
    assert _cid_src(body["html"]) == [attachment["content_id"]]
    assert attachment["content_id"].endswith("@auth.example.com")  # the From domain
    assert (
        base64.b64decode(attachment["content"]) == shipped_logo("mailyard:logo/nordlicht.png").data
    )
