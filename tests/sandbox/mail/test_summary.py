"""What ingest derives from raw bytes, including from inputs that break naive parsers."""

from __future__ import annotations

from mailyard.sandbox.mail.summary import MAX_ADDRESSES, summarize


def test_addresses_subject_snippet_and_bcc_from_envelope() -> None:
    raw = (
        b"From: =?utf-8?q?J=C3=B6rg?= <jorg@example.com>\r\nTo: A <a@example.com>, b@example.com\r\n"
        b"Cc: c@example.com\r\nReply-To: r@example.com\r\nSubject: =?utf-8?b?R3LDvMOfZQ==?=\r\n"
        b"Message-ID: <abc@example.com>\r\nDate: Tue, 03 Nov 2026 10:00:00 +0100\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n  Hello,\r\n\r\n   world  \r\n"
    )
    s = summarize(raw, ["a@example.com", "hidden@example.com"])
    assert s.sender is not None and (s.sender.name, s.sender.address) == (
        "Jörg",
        "jorg@example.com",
    )
    assert [a.address for a in s.to] == ["a@example.com", "b@example.com"]
    assert [a.address for a in s.bcc] == ["hidden@example.com"]
    assert s.subject == "Grüße" and s.snippet == "Hello, world"
    assert s.message_id == "abc@example.com" and s.date == "2026-11-03T10:00:00+01:00"


def test_html_only_message_gets_a_text_snippet() -> None:
    raw = (
        b"Subject: h\r\nContent-Type: text/html\r\n\r\n<html><head><style>p{color:red}</style></head>"
        b"<body><p>Reset&nbsp;your <b>password</b></p><script>x()</script></body></html>"
    )
    assert summarize(raw, []).snippet == "Reset your password"


def test_raw_utf8_headers_are_read_as_utf8() -> None:
    raw = "Subject: Grüße aus Köln\r\nFrom: Zoë <z@example.com>\r\n\r\nx".encode()
    s = summarize(raw, [])
    assert s.subject == "Grüße aus Köln" and s.sender is not None and s.sender.name == "Zoë"


def test_huge_address_header_is_capped_not_fatal() -> None:
    raw = b"To: " + b", ".join(b"u%d@example.com" % i for i in range(20000)) + b"\r\n\r\nx"
    s = summarize(raw, [])
    assert 0 < len(s.to) <= MAX_ADDRESSES


def test_deep_nesting_falls_back_with_a_reason() -> None:
    depth = 3000
    raw = b"Subject: deep\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n" + b"".join(
        b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i, i + 1)
        for i in range(depth)
    )
    s = summarize(raw, [])
    assert s.subject == "deep"
    assert s.parse_error is not None and "nesting" in s.parse_error


def test_tags_from_header_and_plus_addressing_without_duplicates() -> None:
    raw = b"To: jane+signup@example.com\r\nX-Tags: signup, beta , ,gamma\r\n\r\nx"
    assert summarize(raw, ["jane+signup@example.com"]).tags == ("signup", "beta", "gamma")


def test_attachments_are_counted() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
        b"--x\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n\r\n"
        b"%PDF\r\n--x--\r\n"
    )
    s = summarize(raw, [])
    assert s.attachments == 1 and s.snippet == "hi"


def _part(headers: str, body: str = "x") -> str:
    return f"--b\r\n{headers}\r\n\r\n{body}\r\n"


def test_parts_are_counted_as_mailpit_lists_them() -> None:
    parts = [
        _part("Content-Type: text/plain", "the body"),
        _part("Content-Type: text/html", "<p>the body</p>"),
        _part("Content-Type: image/png\r\nContent-ID: <logo@x>"),  # referred to by cid:
        _part("Content-Type: image/gif\r\nContent-Disposition: inline; filename=dot.gif"),
        _part("Content-Type: image/png\r\nContent-ID: <a@x>\r\nContent-Disposition: attachment"),
        _part("Content-Type: text/plain; name=notes.txt"),  # a named text part is a file
        _part("Content-Type: application/octet-stream"),  # unnamed, no Content-ID
        _part(
            "Content-Type: application/pdf\r\nContent-Disposition: attachment; "
            "filename==?utf-8?q?R=C3=A9sum=C3=A9.pdf?="
        ),
    ]
    raw = "Content-Type: multipart/mixed; boundary=b\r\n\r\n" + "".join(parts) + "--b--\r\n"
    s = summarize(raw.encode(), [])
    # enmime's rules: the cid: image and the declared-inline gif are inline; the declared
    # attachment and the PDF are attachments; the named text part is neither, and the unnamed
    # octet-stream is dropped by Mailpit's filter (no file name, no Content-ID).
    assert (s.attachments, s.inlines) == (2, 2)
    assert s.attachment_names == ("Résumé.pdf",)
    assert s.snippet == "the body"
