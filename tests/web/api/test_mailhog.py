"""MailHog's API over mailyard's store, in MailHog's shapes (the npm clients run against it in
tests/e2e/test_other_sandbox_clients.py)."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import pytest
from support.mail import send_raw
from support.servers import start_inprocess

from mailyard.web.api.mailhog import content
from mailyard.web.testing.inprocess import InProcessServer

MULTIPART = (
    b"From: App <app@example.com>\r\nTo: jane@example.com\r\nSubject: Hi\r\nSubject: Last\r\n"
    b'X-Folded: a\r\n b\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n'
    b"--b1\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
    b"caf=C3=A9\r\n--b1\r\nContent-Type: application/pdf\r\n"
    b'Content-Disposition: attachment; filename="a.pdf"\r\nContent-Transfer-Encoding: base64\r\n'
    b"\r\n" + base64.b64encode(b"%PDF") + b"\r\n--b1--\r\n"
)


@pytest.fixture(scope="module")
def own() -> Iterator[InProcessServer]:
    """A server of this module's own: MailHog's listing covers every mailbox."""
    import tempfile
    from pathlib import Path

    server = start_inprocess(Path(tempfile.mkdtemp(prefix="mailhog-")))
    yield server
    server.stop()


@pytest.fixture
def hog(own: InProcessServer) -> Iterator[httpx.Client]:
    with own.api() as client:
        client.request("DELETE", "/api/v1/messages")
        yield client


def test_content_is_read_as_mailhog_reads_it() -> None:
    part = content(MULTIPART.decode(), [100])
    headers = part["Headers"]
    assert headers["Subject"] == ["Last"]  # a repeated header keeps its last value
    assert headers["X-Folded"] == ["a b"]  # the folded line is appended as it is
    assert part["Body"].startswith("--b1") and part["MIME"] is None


def test_v2_messages_in_mailhogs_shape(own: InProcessServer, hog: httpx.Client) -> None:
    send_raw(own, MULTIPART, ["jane@example.com"], sender="bounce@example.com")
    response = hog.get("/api/v2/messages", params={"limit": 1000})
    assert response.headers["content-type"].startswith("text/json")
    body = response.json()
    assert (body["total"], body["count"], body["start"]) == (1, 1, 0)
    (item,) = body["items"]
    assert item["From"] == {
        "Relays": None,
        "Mailbox": "bounce",
        "Domain": "example.com",
        "Params": "",
    }
    assert item["To"][0]["Mailbox"] == "jane" and item["Raw"]["From"] == "bounce@example.com"
    headers = item["Content"]["Headers"]
    assert headers["Message-ID"] == [item["ID"]] and headers["Return-Path"] == [
        "<bounce@example.com>"
    ]
    assert "(MailHog)" in headers["Received"][0]
    parts = item["MIME"]["Parts"]
    assert parts[0]["Body"] == "caf=C3=A9"  # still transfer-encoded, as MailHog keeps it
    assert parts[1]["Headers"]["Content-Disposition"] == ['attachment; filename="a.pdf"']
    assert parts[-1]["Body"] == "--"  # MailHog's closing piece
    assert item["Content"]["MIME"] is None and item["Raw"]["Data"].startswith("From: App")


@pytest.mark.parametrize(
    ("kind", "query", "found"),
    [
        ("to", "JANE@example", 1),
        ("to", "bounce", 0),
        ("from", "bounce@example.com", 1),  # the envelope sender
        ("from", "App <app", 1),  # the From header
        ("containing", "caf=C3", 1),  # the body as sent, still encoded
        ("containing", "café", 0),
    ],
)
def test_v2_search(
    own: InProcessServer, hog: httpx.Client, kind: str, query: str, found: int
) -> None:
    send_raw(own, MULTIPART, ["jane@example.com"], sender="bounce@example.com")
    body = hog.get("/api/v2/search", params={"kind": kind, "query": query}).json()
    assert body["total"] == found and body["count"] == found


@pytest.mark.parametrize("params", [{"kind": "subject", "query": "x"}, {"kind": "to"}])
def test_v2_search_refuses_as_mailhog_does(hog: httpx.Client, params: dict[str, str]) -> None:
    response = hog.get("/api/v2/search", params=params)
    assert response.status_code == 400 and response.content == b""


def test_v1_get_download_and_delete(own: InProcessServer, hog: httpx.Client) -> None:
    send_raw(own, MULTIPART, ["jane@example.com"])
    message_id = hog.get("/api/v2/messages").json()["items"][0]["ID"]
    assert hog.get(f"/api/v1/messages/{message_id}").json()["ID"] == message_id
    assert hog.get("/api/v1/messages/nope").json() is None
    download = hog.get(f"/api/v1/messages/{message_id}/download")
    assert download.content == MULTIPART and download.headers["content-type"] == "message/rfc822"
    assert hog.delete(f"/api/v1/messages/{message_id}").status_code == 200
    assert hog.delete(f"/api/v1/messages/{message_id}").status_code == 404
    assert hog.get("/api/v2/messages").json()["total"] == 0
