"""The complete MIME message for a rendered email.

multipart/alternative with the text part first and the HTML last (RFC 2046: the last part a
client supports wins); when the email carries images (a shipped logo), the HTML part becomes
multipart/related with each image beside it, referenced as `cid:` (RFC 2387, RFC 2392).
From `"<theme name>" <address>` RFC 2047-encoded when needed, a Message-ID on the sending domain
(not this host's name), Date, and `Auto-Submitted: auto-generated` so auto-responders stay quiet.
No header value may carry a line break, raw or hidden in an encoded word: this interpreter
re-serialises `=?utf-8?q?=0A?=` as a real newline (CVE-2024-6923).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from datetime import datetime
from email.header import decode_header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

from mailyard.renderer.errors import HeaderInjectionError
from mailyard.renderer.images import InlineImage
from mailyard.renderer.render import RenderedEmail

_ADDRESS_RE = re.compile(r"^[^\s@<>\"(),;:\\]+@[A-Za-z0-9.-]+$")


def check_header(name: str, value: str) -> str:
    """`value` if it is safe as the `name` header; HeaderInjectionError if it holds a line break."""
    if "\r" in value or "\n" in value or "\0" in value:
        raise HeaderInjectionError(f"the {name} header must not contain a line break", name)
    if "=?" in value:
        for chunk, _charset in decode_header(value):
            text = chunk.decode("latin-1") if isinstance(chunk, bytes) else chunk
            if "\r" in text or "\n" in text:
                raise HeaderInjectionError(
                    f"the {name} header hides a line break in an encoded word", name
                )
    return value


def _address(name: str, value: str) -> str:
    check_header(name, value)
    if not _ADDRESS_RE.match(value):
        raise HeaderInjectionError(f"{value!r} is not a plain email address", name)
    return value


def cid_html(email: RenderedEmail, domain: str) -> tuple[str, tuple[tuple[str, InlineImage], ...]]:
    """`email.html` as sent: each image's `data:` URI replaced by `cid:<id>`, and the
    (content id, image) pairs to attach beside it, for a sender that builds its own message.

    The rendered HTML shows images as data: URIs, complete offline; received mail points at a
    part instead, which Gmail and Outlook for Windows do show. Content-IDs are fresh for every
    message, on the sending domain like the Message-ID (RFC 2392).
    """
    html = email.html
    parts = []
    for image in email.images:
        # Short enough that the Content-ID header is not folded with common domains.
        cid = f"{image.filename.rpartition('.')[0]}.{secrets.token_hex(8)}@{domain}"
        html = html.replace(f'src="{image.data_uri}"', f'src="cid:{cid}"')
        parts.append((cid, image))
    return html, tuple(parts)


def build_message(
    email: RenderedEmail,
    *,
    sender: str,
    to: str | Iterable[str],
    reply_to: str | None = None,
    tags: Iterable[str] = (),
    date: datetime | None = None,
    extra_headers: dict[str, str] | None = None,
) -> EmailMessage:
    """The EmailMessage for `email`, from `sender` (a bare address) with the theme name shown."""
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients:
        raise HeaderInjectionError("at least one recipient is needed", "To")
    sender = _address("From", sender)
    message = EmailMessage(policy=SMTP)
    local, _, domain = sender.rpartition("@")
    message["From"] = Address(
        display_name=check_header("From", email.from_name), username=local, domain=domain
    )
    message["To"] = ", ".join(_address("To", r) for r in recipients)
    if reply_to:
        message["Reply-To"] = _address("Reply-To", reply_to)
    message["Subject"] = check_header("Subject", email.subject)
    message["Date"] = format_datetime(date or email.rendered_at)
    message["Message-ID"] = make_msgid(idstring=secrets.token_hex(8), domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    # A fresh reference stops Gmail from threading every "Reset your password" together.
    message["X-Entity-Ref-ID"] = secrets.token_hex(16)
    tag_list = [check_header("X-Tags", t.strip()) for t in tags if t.strip()]
    if tag_list:
        message["X-Tags"] = ", ".join(tag_list)
    for name, value in (extra_headers or {}).items():
        message[check_header("header name", name)] = check_header(name, value)
    message.set_content(email.text, cte="quoted-printable")
    html, parts = cid_html(email, domain)
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    if parts:
        html_part = message.get_body(("html",))
        assert isinstance(html_part, EmailMessage)  # the part just added
        for cid, image in parts:
            maintype, _, subtype = image.content_type.partition("/")
            html_part.add_related(
                image.data,
                maintype,
                subtype,
                cid=f"<{cid}>",
                filename=image.filename,
                disposition="inline",
            )
        html_part.set_param("type", "text/html")  # RFC 2387: the type of the root part
    for part in message.walk():
        if part is not message:  # EmailMessage gives each part it makes one; one is enough
            del part["MIME-Version"]
    return message
