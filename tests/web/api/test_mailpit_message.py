"""One message as Mailpit gives it: its JSON, its headers, its views, `latest` with a query, and
Mailpit's plain-text errors (issue 14)."""

from __future__ import annotations

import re
from email.message import EmailMessage

import httpx
import pytest
from support.mail import Server, make_message, messages, send, send_raw

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")

WELCOME = (
    b"From: news@example.org\r\nTo: bob+promo@example.net\r\nSubject: Welcome J\xc3\xbcrgen\r\n"
    b"Reply-To: support@help.example.org\r\nX-Tags: Newsletter, urgent\r\n"
    b"List-Unsubscribe: <mailto:unsub@example.org>, <https://example.org/unsub?u=1>\r\n"
    b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
    b"Date: Wed, 02 Jul 2025 08:00:00 -0000\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n\r\n"
    b"<html><body><h1>Hello</h1><p>Click <a href='https://example.org/x'>here</a></p>"
    b"</body></html>\r\n"
)
NO_ID = (
    b"From: noid@example.com\r\nTo: nobody@example.com\r\nSubject: no message id\r\n\r\n"
    b"This mail has no Message-ID and no Date.\r\n"
)


def _one(api: httpx.Client, mailbox: str, subject: str) -> dict[str, object]:
    found = [m for m in messages(api, mailbox) if m["Subject"] == subject]
    assert len(found) == 1, found
    return found[0]


def test_html_only_mail_reads_as_mailpit_shows_it(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    send_raw(server, WELCOME, ["bob+promo@example.net"], mailbox, sender="bounce@example.org")
    summary = _one(api, mailbox, "Welcome Jürgen")
    full = api.get(f"/api/v1/message/{summary['ID']}").json()
    assert full["Date"] == "2025-07-02T08:00:00Z"  # a -0000 Date is UTC, written Z
    assert RFC3339.match(full["Created"]) and RFC3339.match(str(summary["Created"]))
    assert "Click here ( https://example.org/x )" in full["Text"]
    assert full["ReturnPath"] == "bounce@example.org"
    assert full["ListUnsubscribe"] == {
        "Header": "<mailto:unsub@example.org>, <https://example.org/unsub?u=1>",
        "Links": ["mailto:unsub@example.org", "https://example.org/unsub?u=1"],
        "Errors": "",
        "HeaderPost": "List-Unsubscribe=One-Click",
    }
    assert "Click here ( https://example.org/x )" in api.get(f"/view/{summary['ID']}.txt").text


def test_a_message_without_message_id_gets_mailpits(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    send_raw(server, NO_ID, ["nobody@example.com"], mailbox, sender="noid@example.com")
    summary = _one(api, mailbox, "no message id")
    generated = f"{summary['ID']}@mailpit"
    assert summary["MessageID"] == generated
    assert api.get(f"/api/v1/message/{summary['ID']}").json()["MessageID"] == generated
    headers = api.get(f"/api/v1/message/{summary['ID']}/headers").json()
    assert headers["Message-Id"] == [f"<{generated}>"]
    assert headers["Return-Path"] == ["<noid@example.com>"]
    raw = api.get(f"/api/v1/message/{summary['ID']}/raw").content
    assert raw.startswith(b"From: noid@example.com")  # the stored bytes are never rewritten
    # No Date header: Mailpit's Date is when it arrived.
    full = api.get(f"/api/v1/message/{summary['ID']}").json()
    assert full["Date"] == full["Created"]


def _report(subject: str) -> EmailMessage:
    msg = make_message(subject=subject, html="<p>See <img src='cid:logo123' alt='l'></p>")
    html = msg.get_body(("html",))
    assert isinstance(html, EmailMessage)
    html.add_related(b"\x89PNG\r\n\x1a\n", "image", "png", cid="<logo123>")
    msg.add_attachment(b"%PDF-1.4 fake", "application", "pdf", filename="invoice.pdf")
    return msg


def test_parts_headers_and_cid_view(server: Server, api: httpx.Client, mailbox: str) -> None:
    send(server, _report("report"), mailbox)
    message_id = _one(api, mailbox, "report")["ID"]
    full = api.get(f"/api/v1/message/{message_id}").json()
    (inline,) = full["Inline"]
    assert inline["FileName"] == "logo123" and inline["ContentID"] == "logo123"
    assert [a["FileName"] for a in full["Attachments"]] == ["invoice.pdf"]
    headers = api.get(f"/api/v1/message/{message_id}/headers").json()
    assert "Mime-Version" in headers and "MIME-Version" not in headers
    assert list(headers) == sorted(headers)
    view = api.get(f"/view/{message_id}.html")
    assert f"src=/view/{message_id}/part/{inline['PartID']}" in view.text.replace("'", "")
    embedded = api.get(f"/view/{message_id}.html", params={"embed": "1"}).text
    assert embedded.startswith("<!DOCTYPE html>") and "<body>" in embedded


def test_opening_a_view_marks_read_unless_another_site_asks(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    send(server, make_message(subject="v1", html="<p>a</p>"), mailbox)
    send(server, make_message(subject="v2", html="<p>b</p>"), mailbox)
    first, second = _one(api, mailbox, "v1")["ID"], _one(api, mailbox, "v2")["ID"]
    api.get(f"/view/{first}.html", headers={"Sec-Fetch-Site": "cross-site"})
    assert _one(api, mailbox, "v1")["Read"] is False
    api.get(f"/view/{first}.html")
    api.get(f"/view/{second}.txt")
    assert _one(api, mailbox, "v1")["Read"] is True and _one(api, mailbox, "v2")["Read"] is True


def test_view_html_of_a_text_only_message_is_mailpits_404(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    send(server, make_message(subject="plain"), mailbox)
    message_id = _one(api, mailbox, "plain")["ID"]
    response = api.get(f"/view/{message_id}.html")
    assert response.status_code == 404
    assert response.text == "This message does not contain a HTML part"
    assert api.get("/view/nope.html").text == "Message not found"


@pytest.mark.parametrize(
    "route",
    [
        "/api/v1/message/latest",
        "/api/v1/message/latest/headers",
        "/api/v1/message/latest/raw",
        "/view/latest.html",
        "/view/latest.txt",
        "/api/v1/message/latest/html-check",
        "/api/v1/message/latest/sa-check",
    ],
)
def test_latest_honours_the_query_on_every_id_route(
    server: Server, api: httpx.Client, mailbox: str, route: str
) -> None:
    target_mail = make_message(subject=f"target {mailbox}", text="target", html="<p>target</p>")
    send(server, target_mail, mailbox)
    send(
        server, make_message(subject=f"newer {mailbox}", text="newer", html="<p>newer</p>"), mailbox
    )
    params = {"mailbox": mailbox, "query": f'subject:"target {mailbox}"'}
    response = api.get(route, params=params)
    assert response.status_code == 200, response.text
    target = _one(api, mailbox, f"target {mailbox}")["ID"]
    if route.endswith("/latest"):
        assert response.json()["ID"] == target
    elif route.endswith(("raw", ".txt", ".html")):
        assert "target" in response.text and "newer" not in response.text
    missing = api.get(route, params={"mailbox": mailbox, "query": "subject:nothing-like-it"})
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("/api/v1/message/nope", "404 page not found"),
        ("/api/v1/message/nope/headers", "404 page not found"),
        ("/api/v1/message/nope/html-check", "404 page not found"),
        ("/api/v1/message/nope/part/1/thumb", "sql: no rows in result set"),
        ("/api/v1/search?query=", "Error: no search query"),
    ],
)
def test_errors_on_mailpits_routes_are_its_plain_text(
    api: httpx.Client, path: str, text: str
) -> None:
    response = api.get(path)
    assert response.status_code in (400, 404)
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == text


def test_our_own_routes_keep_json_errors_naming_the_field(api: httpx.Client) -> None:
    error = api.get("/api/v1/message/nope/links").json()["error"]
    assert error["field"] == "id" and "nope" in error["message"]
    assert api.get("/api/v1/messages/wait", params={"timeout": "x"}).json()["error"]["field"] == (
        "timeout"
    )
