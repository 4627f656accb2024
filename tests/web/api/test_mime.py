"""Parts sorted into Inline and Attachments as Mailpit (enmime) sorts them, and headers as
Mailpit's `/headers` gives them."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.budget import cpu_budget

from mailyard.sandbox import Address, Envelope, MessageRecord, MessageSummary, mimetree, view_tree
from mailyard.sandbox.mail.summary import summarize
from mailyard.web.api.mime import canonical_key, mailpit_headers, mailpit_parts, raw_headers


def _parts(raw: bytes) -> tuple[list[str], list[str]]:
    root, notes = mimetree.parse(raw)
    inline, attachments = mailpit_parts(root, view_tree(root, notes))
    return [p.filename or p.content_id for p in inline], [p.filename for p in attachments]


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
    assert _parts(_report()) == (["chart.png", "logo123"], ["report.pdf"])


def test_a_part_without_disposition_or_name_is_left_out() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
        b"hi\r\n--b\r\nContent-Type: image/png\r\n\r\nPNG\r\n--b\r\n"
        b"Content-Type: application/octet-stream; name=x.bin\r\n\r\nxx\r\n--b--\r\n"
    )
    assert _parts(raw) == ([], ["x.bin"])


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(_report(), id="related-and-mixed"),
        pytest.param(
            b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n"
            b"\r\nhi\r\n--b\r\nContent-Type: image/png\r\n\r\nPNG\r\n--b\r\n"
            b"Content-Type: application/octet-stream; name=x.bin\r\n\r\nxx\r\n--b--\r\n",
            id="unnamed-image",
        ),
        pytest.param(b"Content-Type: application/pdf; name=a.pdf\r\n\r\n%PDF", id="single-part"),
    ],
)
def test_the_summary_counts_what_the_message_json_lists(raw: bytes) -> None:
    inline, attachments = _parts(raw)
    summary = summarize(raw, [])
    assert (summary.inlines, summary.attachments) == (len(inline), len(attachments))
    assert list(summary.attachment_names) == attachments


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


def _joined_one_at_a_time(lines: list[str]) -> str:
    """How a folded value read before: each line added to the value so far (quadratic)."""
    value = lines[0]
    for line in lines[1:]:
        value = f"{value} {line}".strip()
    return value


_LINE = st.text(st.sampled_from("ab \t\xa0\u2003é"), max_size=6).map(str.strip)


@given(first=_LINE, rest=st.lists(_LINE, min_size=1, max_size=8))
def test_folded_lines_join_as_they_did_when_added_one_at_a_time(
    first: str, rest: list[str]
) -> None:
    block = f"Subject: {first}\r\n" + "".join(f" {line}\r\n" for line in rest)
    raw = block.encode() + b"\r\nbody"
    assert raw_headers(raw) == [("Subject", _joined_one_at_a_time([first, *rest]))]


@pytest.mark.parametrize("line", [b" x", b" ", b"\t\xc2\xa0"])
def test_a_header_folded_into_900_kb_of_lines_is_read_in_linear_time(line: bytes) -> None:
    lines = 900 * 1024 // (len(line) + 2)
    raw = b"Subject: s\r\n" + (line + b"\r\n") * lines + b"X: 1\r\n\r\nbody"
    with cpu_budget(2.0, "a header folded into 900 KB of lines"):  # quadratic: minutes
        headers = raw_headers(raw)
    assert headers[-1] == ("X", "1") and len(headers) == 2


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
