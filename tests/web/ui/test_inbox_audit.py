"""What a new user's audit of the inbox found, server side: the status page lists the latest
sends with a way to more, a blocked remote image is drawn as a placeholder, the attachment mark
is a drawn icon, a message without a Message-ID shows the one the API reports, and a tab's
label carries its bold copy (so the strip does not shift)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from support.mail import make_message, messages, send, send_raw
from support.servers import start_inprocess

from mailyard.sandbox import SendRecord
from mailyard.web.api.views import BLOCKED_IMAGES_STYLE
from mailyard.web.testing.inprocess import InProcessServer
from mailyard.web.ui.pages import SENDS


def _only(api: httpx.Client, mailbox: str) -> str:
    (found,) = messages(api, mailbox)
    return str(found["ID"])


def test_the_status_page_lists_the_latest_sends_and_shows_more_on_request(
    tmp_path: Path,
) -> None:
    srv = start_inprocess(tmp_path)
    try:
        assert srv.services is not None
        log = srv.services.store.send_log
        total = SENDS + 5
        for i in range(total):
            record = SendRecord(
                "password-reset", "mailyard", "en", "hmac", "sandbox", "sent", f"m{i}"
            )

            async def write(record: SendRecord = record) -> None:
                await log.record(record)

            srv.call(write)
        with srv.api() as api:
            first = api.get("/status").text
            assert first.count('<tr class="sent">') == SENDS
            assert f"m{total - 1}" in first and "m0<" not in first  # the newest first
            more = re.search(r'<a href="(/status\?sends=\d+)" id="more-sends">Show more</a>', first)
            assert more, "no way to the older sends"
            rest = api.get(more.group(1)).text
            assert rest.count('<tr class="sent">') == total
            assert 'id="more-sends"' not in rest  # nothing left to show
            assert api.get("/status", params={"sends": "0"}).status_code == 400
    finally:
        srv.stop()


HTML_MAIL = (
    b"From: a@example.com\r\nTo: b@example.com\r\nSubject: pictures\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n\r\n"
    b'<!DOCTYPE html><html><body><img src="https://cdn.example.net/a.png" width="120">'
    b"</body></html>\r\n"
)


def test_the_inbox_view_draws_blocked_remote_images_as_placeholders(
    server: InProcessServer, api: httpx.Client, mailbox: str
) -> None:
    send_raw(server, HTML_MAIL, ["b@example.com"], mailbox)
    ident = _only(api, mailbox)
    page = api.get(f"/message/{ident}").text
    frame = re.search(r'<iframe id="mail-frame"[^>]*src="([^"]+)"', page, re.S)
    assert frame and "placeholders=1" in frame.group(1)
    blocked = api.get(f"/view/{ident}.html", params={"placeholders": "1"})
    assert blocked.text.startswith("<!DOCTYPE html>")  # the style follows: no quirks mode
    assert blocked.text.endswith(BLOCKED_IMAGES_STYLE)
    assert "img-src data:" in blocked.headers["content-security-policy"]  # the SVG may load
    # Loaded remote content draws the images; Mailpit's clients get the HTML as it was.
    remote = api.get(f"/view/{ident}.html", params={"placeholders": "1", "remote": "1"}).text
    assert BLOCKED_IMAGES_STYLE not in remote
    assert BLOCKED_IMAGES_STYLE not in api.get(f"/view/{ident}.html").text


ATTACHED = (
    b"From: a@example.com\r\nTo: b@example.com\r\nSubject: with a file\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n'
    b"hi\r\n--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; "
    b'filename="a.txt"\r\n\r\nfile\r\n--b--\r\n'
)


def test_the_attachment_mark_is_a_drawn_icon_with_words(
    server: InProcessServer, api: httpx.Client, mailbox: str
) -> None:
    send_raw(server, ATTACHED, ["b@example.com"], mailbox)
    rows = api.get("/ui/results", params={"mailbox": mailbox}).text
    clip = re.search(r'<span class="clip"[^>]*>(.*?)</span>', rows, re.S)
    assert clip, "no attachment mark"
    assert 'aria-label="1 attachment"' in clip.group(0) and 'role="img"' in clip.group(0)
    assert clip.group(1).startswith('<svg class="icon icon-clip"')
    assert "📎" not in rows


def test_a_message_without_a_message_id_shows_the_one_the_api_reports(
    server: InProcessServer, api: httpx.Client, mailbox: str
) -> None:
    send_raw(
        server,
        b"From: a@example.com\r\nTo: b@example.com\r\nSubject: no id\r\n\r\nx\r\n",
        ["b@example.com"],
        mailbox,
    )
    ident = _only(api, mailbox)
    reported = api.get(f"/api/v1/message/{ident}").json()["MessageID"]
    assert reported == f"{ident}@mailpit"
    page = api.get(f"/message/{ident}").text
    shown = re.search(
        r'<span class="mono" id="message-id">([^<]*)</span>\s*<span class="hint">([^<]*)<', page
    )
    assert shown and shown.group(1) == reported and "not in the message" in shown.group(2)
    own_id = make_message(subject="has id")
    own_id["Message-ID"] = "<given.1@example.com>"
    send(server, own_id, mailbox)
    (own,) = [m for m in messages(api, mailbox) if m["Subject"] == "has id"]
    page = api.get(f"/message/{own['ID']}").text
    assert own["MessageID"] == "given.1@example.com"
    assert 'id="message-id">given.1@example.com</span>' in page
    assert "not in the message" not in page


@pytest.mark.parametrize("label", ["HTML", "Headers", "Delivery"])
def test_each_tab_label_carries_its_bold_copy(
    server: InProcessServer, api: httpx.Client, mailbox: str, label: str
) -> None:
    send(server, make_message(subject="tabs"), mailbox)
    page = api.get(f"/message/{_only(api, mailbox)}").text
    assert f'<span class="tab-label" data-text="{label}">{label}</span>' in page
