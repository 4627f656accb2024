"""The MIME message built from a rendered email."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default

import pytest

from mailyard.renderer import HeaderInjectionError, Theme, build_message, render
from mailyard.renderer.samples import sample


def test_structure_headers_and_display_name() -> None:
    email = render(sample("password-reset"), Theme(name="Zürich Bänk, Inc."))
    raw = build_message(
        email,
        sender="no-reply@auth.example.com",
        to="jane@example.com",
        reply_to="help@example.com",
        tags=["password-reset", "tenant-a"],
    ).as_bytes()
    parsed = message_from_bytes(raw, policy=default)
    assert parsed.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]
    assert parsed["From"].addresses[0].display_name == "Zürich Bänk, Inc."
    assert parsed["From"].addresses[0].addr_spec == "no-reply@auth.example.com"
    assert b"=?utf-8?" in raw.split(b"\r\n\r\n")[0]  # non-ASCII name and subject encoded
    assert parsed["Message-ID"].endswith("@auth.example.com>")
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Date"] and parsed["Reply-To"] == "help@example.com"
    assert parsed["X-Tags"] == "password-reset, tenant-a"
    assert parsed["Subject"] == email.subject
    assert "test-preview-token-000" in parsed.get_body(("plain",)).get_content()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"sender": "a@example.com\r\nBcc: victim@example.com"}, "From"),
        ({"to": "jane@example.com\nBcc: victim@example.com"}, "To"),
        ({"to": "Jane <jane@example.com>"}, "To"),
        ({"tags": ["ok", "bad\r\nX-Evil: 1"]}, "X-Tags"),
        ({"extra_headers": {"X-Note": "=?UTF-8?Q?=0A?=Bcc: injected@example.com"}}, "X-Note"),
    ],
)
def test_line_breaks_in_headers_are_refused(kwargs: dict[str, object], field: str) -> None:
    email = render(sample("welcome"))
    arguments: dict[str, object] = {
        "sender": "no-reply@example.com",
        "to": "jane@example.com",
        **kwargs,
    }
    with pytest.raises(HeaderInjectionError) as error:
        build_message(email, **arguments)  # type: ignore[arg-type]
    assert error.value.field == field


def test_an_encoded_line_break_in_the_subject_is_refused() -> None:
    """CVE-2024-6923: this interpreter would turn the encoded newline into a real header."""
    email = render(sample("welcome"), Theme(name="x=?UTF-8?Q?=0A?=Bcc: injected@example.com"))
    with pytest.raises(HeaderInjectionError):
        build_message(email, sender="no-reply@example.com", to="jane@example.com")
