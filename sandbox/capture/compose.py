"""Building a message from parts, for senders that hand mailyard fields instead of MIME
(Mailpit's HTTP send API): addresses, subject, bodies, headers, tags, attachments.

The result is ordinary RFC 5322 bytes, stored exactly like mail that arrived over SMTP.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid

from mailyard.renderer import HeaderInjectionError, check_header
from mailyard.sandbox.errors import InvalidInputError


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    content_type: str = ""
    content_id: str = ""  # set: attached inline (for cid: references)


@dataclass(frozen=True)
class Parts:
    sender: tuple[str, str]  # (name, address)
    to: tuple[tuple[str, str], ...] = ()
    cc: tuple[tuple[str, str], ...] = ()
    bcc: tuple[str, ...] = ()
    reply_to: tuple[tuple[str, str], ...] = ()
    subject: str = ""
    text: str = ""
    html: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    tags: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = field(default=())

    @property
    def recipients(self) -> tuple[str, ...]:
        return tuple(a for _, a in self.to) + tuple(a for _, a in self.cc) + self.bcc


def decode_base64(text: str, field_name: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInputError("must be base64", field_name) from None


def _address(name: str, address: str, field_name: str) -> Address:
    try:
        check_header(field_name, name)
        check_header(field_name, address)
        local, at, domain = address.rpartition("@")
        if not at or not local or not domain:
            raise InvalidInputError(f"{address!r} is not an email address", field_name)
        return Address(display_name=name, username=local, domain=domain)
    except HeaderInjectionError as exc:
        raise InvalidInputError(str(exc), field_name) from None
    except (ValueError, IndexError) as exc:
        raise InvalidInputError(f"{address!r} is not an email address: {exc}", field_name) from None


def compose(parts: Parts) -> bytes:
    """The message as bytes; InvalidInputError names the field at fault."""
    message = EmailMessage(policy=SMTP)
    name, address = parts.sender
    message["From"] = _address(name, address, "From.Email")
    for header, people, label in (
        ("To", parts.to, "To"),
        ("Cc", parts.cc, "Cc"),
        ("Reply-To", parts.reply_to, "ReplyTo"),
    ):
        if people:
            message[header] = [_address(n, a, f"{label}.Email") for n, a in people]
    try:
        message["Subject"] = check_header("Subject", parts.subject)
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=address.rpartition("@")[2] or "mailyard.local")
        if parts.tags:
            message["X-Tags"] = check_header(
                "Tags", ", ".join(t.strip() for t in parts.tags if t.strip())
            )
        for key, value in parts.headers:
            message[check_header("Headers", key)] = check_header(f"Headers.{key}", value)
    except HeaderInjectionError as exc:
        raise InvalidInputError(str(exc), exc.field) from None
    except ValueError as exc:  # the email package refusing a header
        raise InvalidInputError(str(exc), "Headers") from None
    message.set_content(parts.text or "")
    if parts.html:
        message.add_alternative(parts.html, subtype="html")
    html_part = message.get_body(("html",)) if parts.html else None
    for item in parts.attachments:
        ctype = (
            item.content_type
            or mimetypes.guess_type(item.filename)[0]
            or "application/octet-stream"
        )
        maintype, _, subtype = ctype.partition("/")
        subtype = subtype or "octet-stream"
        if not item.content_id:
            message.add_attachment(item.content, maintype, subtype, filename=item.filename)
            continue
        # An image the HTML refers to by cid: goes beside it in multipart/related, or inline.
        add = (
            html_part.add_related if isinstance(html_part, EmailMessage) else message.add_attachment
        )
        add(
            item.content,
            maintype,
            subtype,
            filename=item.filename,
            disposition="inline",
            cid=f"<{item.content_id}>",
        )
    return message.as_bytes()
