"""Parts sorted into Inline and Attachments as Mailpit (enmime) sorts them, and headers as
Mailpit's `/headers` gives them."""

from __future__ import annotations

from email.message import EmailMessage

from mailyard.sandbox import Address, Envelope, MessageRecord, MessageSummary, view_message
from mailyard.web.api.mime import canonical_key, mailpit_headers, mailpit_parts, raw_headers


def _report() -> bytes:
    msg = EmailMessage()
    msg["From"] = "App <app@example.com>"
    msg["To"] = "jane@example.com"
    msg["Subject"] = "Monthly report"
    msg.set_content("text")
    msg.add_alternative("<p><img src='cid:logo123'></p>", subtype="html")
    html = msg.get_body(("html",))
    assert isinstance(html, EmailMessage)
    html.add_related(b"\x89PNG", "image", "png", cid="<logo123>")  # inline, no file name
    msg.add_attachment(b"%PDF", "application", "pdf", filename="report.pdf")
    msg.add_attachment(b"\x89PNG", "image", "png", filename="chart.png", disposition="inline")
    return msg.as_bytes()


def test_inline_and_attachments_as_mailpit_sorts_them() -> None:
    raw = _report()
    inline, attachments = mailpit_parts(raw, view_message(raw))
    assert [p.filename or p.content_id for p in inline] == ["chart.png", "logo123"]
    assert [p.filename for p in attachments] == ["report.pdf"]


def test_a_part_without_disposition_or_name_is_left_out() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
        b"hi\r\n--b\r\nContent-Type: image/png\r\n\r\nPNG\r\n--b\r\n"
        b"Content-Type: application/octet-stream; name=x.bin\r\n\r\nxx\r\n--b--\r\n"
    )
    inline, attachments = mailpit_parts(raw, view_message(raw))
    assert inline == [] and [p.filename for p in attachments] == ["x.bin"]


def test_canonical_keys() -> None:
    assert [canonical_key(k) for k in ("message-ID", "MIME-Version", "x-ms-exchange-a", "A b")] == [
        "Message-Id",
        "Mime-Version",
        "X-Ms-Exchange-A",
        "A b",
    ]


def test_folded_values_are_joined_with_one_space_and_stay_encoded() -> None:
    raw = b"Subject: =?utf-8?q?caf=C3=A9?=\r\n  and more \r\n\tend\r\nX: 1\r\n\r\nbody"
    assert raw_headers(raw) == [("Subject", "=?utf-8?q?caf=C3=A9?= and more end"), ("X", "1")]


def _record(rcpt: tuple[str, ...]) -> MessageRecord:
    summary = MessageSummary(
        seq=1,
        id="abc",
        mailbox="default",
        created="2026-01-01T00:00:00Z",
        sender=None,
        to=[Address("", "jane@example.com")],
        cc=[],
        bcc=[],
        reply_to=[],
        subject="",
        snippet="",
        message_id="",
        size=0,
        attachments=0,
        read=False,
        username="",
        tags=[],
    )
    return MessageRecord(summary, Envelope("bounce@example.org", rcpt), None, "", None)


def test_headers_get_what_mailpit_writes_into_a_message() -> None:
    raw = b"From: a@example.com\r\nTo: jane@example.com\r\nMIME-Version: 1.0\r\n\r\nbody"
    record = _record(("jane@example.com", "hidden@example.com"))
    headers = mailpit_headers(raw, record, "abc@mailpit")
    assert list(headers) == sorted(headers)
    assert headers["Message-Id"] == ["<abc@mailpit>"]
    assert headers["Return-Path"] == ["<bounce@example.org>"]
    assert headers["Bcc"] == ["hidden@example.com"]
    assert headers["Mime-Version"] == ["1.0"]
