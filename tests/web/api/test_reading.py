"""A big message is read on a worker thread, and every route gives what it gives for a small one
(issue 9: no message may hold the event loop)."""

from __future__ import annotations

import asyncio
import base64
import io
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, TypeVar

import httpx
import PIL.Image
import pytest
from starlette.responses import JSONResponse
from support.emulate import aws_client
from support.mail import Server, messages, send_raw
from support.servers import start_inprocess

from mailyard.sandbox import mimetree
from mailyard.sandbox.store.messages import Messages
from mailyard.web.api import reading
from mailyard.web.api.reading import (
    LONG_STRING,
    OFF_LOOP,
    BodiesJSONResponse,
    encoded,
    off_loop,
)
from mailyard.web.testing.inprocess import InProcessServer

T = TypeVar("T")


async def test_small_work_runs_here_and_big_work_on_a_worker_thread() -> None:
    here = threading.get_ident()
    assert await off_loop(OFF_LOOP, threading.get_ident) == here
    assert await off_loop(OFF_LOOP + 1, threading.get_ident) != here


def _message(subject: str, attachment: bytes) -> bytes:
    msg = EmailMessage()
    msg["From"] = "app@example.com"
    msg["To"] = "jane@example.com"
    msg["Subject"] = subject
    msg.set_content("Your code is 482913.\nConfirm: https://example.com/confirm?token=abc\n")
    msg.add_alternative(
        "<p>Your code is <b>482913</b>. <a href='https://example.com/confirm?token=abc'>"
        "Confirm</a> <img src='cid:logo'></p>",
        subtype="html",
    )
    html = msg.get_body(("html",))
    assert isinstance(html, EmailMessage)
    html.add_related(b"\x89PNG\r\n\x1a\n", "image", "png", cid="<logo>")
    msg.add_attachment(attachment, "application", "octet-stream", filename="data.bin")
    return msg.as_bytes()


def _read(api: httpx.Client, message_id: str) -> dict[str, object]:
    full = api.get(f"/api/v1/message/{message_id}").json()
    attachment = full["Attachments"][0]["PartID"]
    inline = full["Inline"][0]["PartID"]
    return {
        "text": full["Text"],
        "parts": [(p["FileName"], p["Size"]) for p in full["Attachments"] + full["Inline"]],
        "links": api.get(f"/api/v1/message/{message_id}/links").json()["links"],
        "codes": api.get(f"/api/v1/message/{message_id}/codes").json()["codes"],
        "headers": api.get(f"/api/v1/message/{message_id}/headers").json()["Subject"],
        "html": api.get(f"/view/{message_id}.html").text,
        "txt": api.get(f"/view/{message_id}.txt").text,
        "part": len(api.get(f"/api/v1/message/{message_id}/part/{attachment}").content),
        "inline": api.get(f"/view/{message_id}/part/{inline}").content,
    }


@pytest.mark.parametrize("size", [100, 4 * OFF_LOOP])
def test_a_message_reads_the_same_on_the_loop_and_off_it(
    server: Server, api: httpx.Client, mailbox: str, size: int
) -> None:
    subject = f"sized {size}"
    send_raw(server, _message(subject, b"\x00" * size), ["jane@example.com"], mailbox)
    found = api.get("/api/v1/search", params={"query": f'subject:"{subject}"'}).json()
    (summary,) = found["messages"]
    assert (summary["Size"] > OFF_LOOP) == (size > OFF_LOOP)
    read = _read(api, summary["ID"])
    assert read["part"] == size
    assert read["parts"] == [("data.bin", size), ("logo", 8)]
    assert read["headers"] == [subject]
    assert read["inline"] == b"\x89PNG\r\n\x1a\n"
    assert "Your code is 482913." in str(read["text"]) and read["txt"] == read["text"]
    assert [code["code"] for code in read["codes"]][:1] == ["482913"]  # type: ignore[attr-defined]
    assert [link["url"] for link in read["links"]] == [  # type: ignore[attr-defined]
        "https://example.com/confirm?token=abc"
    ]
    assert f"/view/{summary['ID']}/part/" in str(read["html"])


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"ID": "a", "Size": 3, "Tags": ["x"], "Read": False, "Date": None},
        {
            "HTML": "😀" + '<p class="x">"quoted" \\ back\tslash\x00 é</p>\r\n' * 20_000,
            "Text": "a" * (3 * LONG_STRING) + "\u2028",
            "Attachments": [{"FileName": "é.pdf"}],
        },
    ],
)
def test_long_bodies_encode_as_one_json_call_would(body: dict[str, object]) -> None:
    assert BodiesJSONResponse(body).body == JSONResponse(body).body


@pytest.mark.parametrize("text", ["", "é" * 10, "😀<p>\u2028 é</p>\x00" * 30_000])
async def test_a_long_text_encodes_as_one_encode_would(text: str) -> None:
    assert await encoded(text) == text.encode("utf-8")


# -- every route that reads a stored message reads a big one off the event loop ------------------
#
# A spy on the two ways a route reads a message (the store's `raw`, `mimetree`'s parsing) notes
# whether each call ran on the event loop (a running loop in its thread) or on a worker thread;
# it changes nothing else. A small message may be read on the loop; a big hostile one never.

LINK = "http://127.0.0.1:9/confirm?token=abc"  # loopback: the link check answers without a request


def _on_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """(what, on the loop) for each read of a stored message, each parse and each sliced encode."""
    seen: list[tuple[str, bool]] = []

    def spy(name: str, real: Callable[..., T]) -> Callable[..., T]:
        def wrapped(*args: Any, **kwargs: Any) -> T:
            seen.append((name, _on_loop()))
            return real(*args, **kwargs)

        return wrapped

    monkeypatch.setattr(Messages, "raw", spy("raw", Messages.raw))
    for name in ("parse", "split_headers"):
        monkeypatch.setattr(mimetree, name, spy(name, getattr(mimetree, name)))
    monkeypatch.setattr(reading, "_encode_slices", spy("encode", reading._encode_slices))
    monkeypatch.setattr(PIL.Image, "open", spy("image", PIL.Image.open))
    return seen


def _png(side: int) -> bytes:
    out = io.BytesIO()
    PIL.Image.new("RGB", (side, side), "teal").save(out, "PNG")
    return out.getvalue()


def hostile(to: str, levels: int = 30) -> bytes:
    """~300 KB: an HTML body of one character per quoted-printable soft line break, with a link
    and a code, an inline image and an image attachment, `levels` deep in multipart/mixed."""
    html = f"<p>Your code is <b>482913</b>. <a href='{LINK}'>Confirm</a><img src='cid:logo'></p>".encode()
    html += b"<p>hello</p>" * 8_000
    chars = (html[i : i + 1] for i in range(len(html)))
    qp = b"=\r\n".join(b"=3D" if c == b"=" else c for c in chars)
    png = base64.encodebytes(_png(300))
    inner = (
        b"Content-Type: multipart/related; boundary=rel\r\n\r\n"
        b"--rel\r\nContent-Type: text/html; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n" + qp + b"\r\n"
        b"--rel\r\nContent-Type: image/png\r\nContent-ID: <logo>\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + png + b"--rel--\r\n"
        b"--top\r\nContent-Type: image/png; name=big.png\r\n"
        b"Content-Disposition: attachment; filename=big.png\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + png
    )
    entity = (
        b"Content-Type: multipart/mixed; boundary=top\r\n\r\n--top\r\n" + inner + b"--top--\r\n"
    )
    for level in range(levels):
        entity = (
            f"Content-Type: multipart/mixed; boundary=n{level}\r\n\r\n--n{level}\r\n".encode()
            + entity
            + f"\r\n--n{level}--\r\n".encode()
        )
    head = f"From: app@example.com\r\nTo: {to}\r\nSubject: hostile {uuid.uuid4().hex}\r\n"
    return head.encode() + entity


@dataclass(frozen=True)
class Big:
    """The hostile message, stored: its ID, its mailbox, its attachment's PartID."""

    id: str
    mailbox: str
    inbucket: str
    attachment: str


@pytest.fixture
def big(server: Server, api: httpx.Client, mailbox: str) -> Big:
    inbucket = f"in-{mailbox}"
    raw = hostile(f"{inbucket}@example.com")
    assert len(raw) > 2 * OFF_LOOP
    send_raw(server, raw, [f"{inbucket}@example.com"], mailbox)
    (summary,) = messages(api, mailbox)
    full = api.get(f"/api/v1/message/{summary['ID']}").json()
    (attachment,) = full["Attachments"]
    assert "482913" in full["HTML"] and attachment["FileName"] == "big.png"
    return Big(str(summary["ID"]), mailbox, inbucket, attachment["PartID"])


def _read_off_loop(
    reads: list[tuple[str, bool]], call: Callable[[], httpx.Response], *wanted: str
) -> httpx.Response:
    """`call`'s response, having checked that it read the message, and never on the loop."""
    reads.clear()
    response = call()
    assert response.status_code < 400, response.text
    done = {name for name, _ in reads}
    assert set(wanted) <= done, f"the route did not {set(wanted) - done}"
    assert [name for name, on_loop in reads if on_loop] == []
    return response


def test_the_spy_sees_a_small_message_read_on_the_loop(
    server: Server, api: httpx.Client, mailbox: str, reads: list[tuple[str, bool]]
) -> None:
    send_raw(server, _message("small", b"x"), ["jane@example.com"], mailbox)
    (summary,) = messages(api, mailbox)
    reads.clear()
    assert api.get(f"/message/{summary['ID']}").status_code == 200
    assert ("raw", True) in reads and ("parse", True) in reads


def test_the_inbox_page_and_the_checks_read_a_big_message_off_the_loop(
    api: httpx.Client, big: Big, reads: list[tuple[str, bool]]
) -> None:
    page = _read_off_loop(reads, lambda: api.get(f"/message/{big.id}"), "raw", "parse")
    assert "482913" in page.text and "hostile" in page.text
    check = _read_off_loop(reads, lambda: api.get(f"/api/v1/message/{big.id}/html-check"), "parse")
    assert "Total" in check.json()
    links = _read_off_loop(reads, lambda: api.get(f"/api/v1/message/{big.id}/link-check"), "parse")
    assert [link["URL"] for link in links.json()["Links"]] == [LINK]
    thumb = _read_off_loop(
        reads,
        lambda: api.get(f"/api/v1/message/{big.id}/part/{big.attachment}/thumb"),
        "raw",
        "image",
    )
    assert thumb.headers["content-type"] == "image/jpeg"
    view = _read_off_loop(reads, lambda: api.get(f"/view/{big.id}.html"), "parse", "encode")
    assert "482913" in view.text and f"/view/{big.id}/part/" in view.text


def test_the_simulators_views_read_a_big_message_off_the_loop(
    server: InProcessServer, api: httpx.Client, big: Big, reads: list[tuple[str, bool]]
) -> None:
    assert server.services is not None
    server.call(server.services.simulator.idle)
    events = _read_off_loop(
        reads, lambda: api.get(f"/api/v1/message/{big.id}/events"), "split_headers"
    )
    assert events.json()["events"][0]["payload"]["mail"]["commonHeaders"]["subject"].startswith(
        "hostile"
    )
    feed = _read_off_loop(
        reads, lambda: api.get("/api/v1/events", params={"mailbox": big.mailbox}), "raw"
    )
    assert feed.json()["events"]
    timeline = _read_off_loop(reads, lambda: api.get(f"/ui/message/{big.id}/delivery"), "raw")
    assert "Delivery" in timeline.text or timeline.text
    click = _read_off_loop(
        reads,
        lambda: api.get(f"/view/{big.id}/click", params={"u": LINK}, follow_redirects=False),
        "parse",
    )
    assert click.status_code == 303 and click.headers["location"] == LINK


def test_mailhog_and_inbucket_read_a_big_message_off_the_loop(
    api: httpx.Client, big: Big, reads: list[tuple[str, bool]]
) -> None:
    one = _read_off_loop(reads, lambda: api.get(f"/api/v1/messages/{big.id}"), "raw")
    assert one.json()["ID"] == big.id
    download = _read_off_loop(reads, lambda: api.get(f"/api/v1/messages/{big.id}/download"), "raw")
    assert download.content.startswith(b"From: app@example.com")
    listed = _read_off_loop(reads, lambda: api.get("/api/v2/messages", params={"limit": 3}), "raw")
    assert big.id in [item["ID"] for item in listed.json()["items"]]
    found = _read_off_loop(
        reads,
        lambda: api.get("/api/v2/search", params={"kind": "to", "query": big.inbucket}),
        "raw",
    )
    assert [item["ID"] for item in found.json()["items"]] == [big.id]
    detail = _read_off_loop(
        reads, lambda: api.get(f"/api/v1/mailbox/{big.inbucket}/{big.id}"), "raw", "parse"
    )
    assert "big.png" in [a["filename"] for a in detail.json()["attachments"]]
    source = _read_off_loop(
        reads, lambda: api.get(f"/api/v1/mailbox/{big.inbucket}/{big.id}/source"), "raw"
    )
    assert source.content == download.content


@pytest.fixture(scope="module")
def relaying(
    tmp_path_factory: pytest.TempPathFactory, server: InProcessServer
) -> Iterator[InProcessServer]:
    """A mailyard that releases to `server`."""
    relay = start_inprocess(
        tmp_path_factory.mktemp("relaying"),
        *("--relay-host", "127.0.0.1", "--relay-port", str(server.smtp_port)),
        *("--relay-tls", "none", "--allow-recipients", "*@example.com"),
    )
    yield relay
    relay.stop()


def test_release_reads_a_big_message_off_the_loop(
    relaying: InProcessServer, api: httpx.Client, mailbox: str, reads: list[tuple[str, bool]]
) -> None:
    send_raw(relaying, hostile("jane@example.com"), ["jane@example.com"], mailbox)
    with relaying.api() as there:
        (summary,) = messages(there, mailbox)
        _read_off_loop(
            reads,
            lambda: there.post(
                f"/api/v1/message/{summary['ID']}/release", json={"To": [f"{mailbox}@example.com"]}
            ),
            "raw",
        )
    subject = summary["Subject"]
    assert messages(api, "default", f'subject:"{subject}"')


def test_the_ses_sandboxes_retrieval_reads_a_big_message_off_the_loop(
    api: httpx.Client, reads: list[tuple[str, bool]]
) -> None:
    ses = aws_client("ses", api, "AKIA" + uuid.uuid4().hex[:16].upper())
    raw = hostile("jane@example.com")
    sent = ses.send_raw_email(RawMessage={"Data": raw})["MessageId"]
    listed = _read_off_loop(reads, lambda: api.get("/_aws/ses", params={"id": sent}), "raw")
    assert listed.json()["messages"][0]["RawData"].startswith("From: app@example.com")
    store = _read_off_loop(reads, lambda: api.get("/store"), "raw", "parse")
    assert store.json()["emails"]
    eml = _read_off_loop(
        reads, lambda: api.get("/get-emlContent", params={"messageId": sent}), "raw"
    )
    assert bytes(eml.json()["body"]["data"]) == raw
