"""The message a provider API would deliver, built from the fields its caller sent (SES v1/v2
Simple and Template content, Resend's JSON), with the provider's own Message-ID and Date.

`compose.compose` (Mailpit's send API) stamps the real time and a Message-ID of its own; an
emulated provider needs both under its control: SES's delivered `Message-ID` is
`<{MessageId}@email.amazonses.com>` (us-east-1) or `<{MessageId}@{region}.amazonses.com>`
(providers.md A4) and the Date is the simulator's clock, so a test that moves the clock sees
mail dated as the provider would date it.

The MIME is written directly rather than through `email.message.EmailMessage`: every send of
the emulators passes here, and the email package's generator costs about ten times as much for
the same bytes. What it writes is deliberately plain: UTF-8 text parts in 7bit when they are
ASCII with short lines and quoted-printable otherwise, `multipart/alternative` when both text and
HTML are given (as SES builds it), `multipart/related` for inline images, `multipart/mixed`
for attachments (base64, 76-character lines), RFC 2047 words for non-ASCII header text. Bcc is
never written: it lives only in the envelope.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from email.header import Header
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import formataddr, formatdate, getaddresses

from mailyard.renderer import HeaderInjectionError, check_header
from mailyard.sandbox.capture.compose import Attachment, Parts
from mailyard.sandbox.errors import InvalidInputError

CRLF = "\r\n"
MAX_LINE = 998  # RFC 5322 2.1.1
# A raw message's header block is read for its addresses only up to this size (bounded work):
# real header blocks are a few KB, and SES caps the headers it reports at 10 KB (C2).
MAX_HEADER_BLOCK = 256 * 1024


@dataclass(frozen=True)
class RawAddresses:
    """Who a raw message says it is from and to, read from its headers (SendRawEmail without
    `Source`/`Destinations`: "the sender is the From, the recipients the To, Cc and Bcc")."""

    sender: str
    recipients: tuple[str, ...]


def compose_message(
    parts: Parts, *, message_id: str, date: float, headers_first: Iterable[tuple[str, str]] = ()
) -> bytes:
    """The message as bytes, with `Message-ID: <message_id>` and `Date` from `date` (Unix
    seconds); `headers_first` (e.g. `Feedback-ID`) go before the caller's headers.
    InvalidInputError names the field at fault."""
    own = {
        "from": _header("From", _people([parts.sender], "From")),
        **({"to": _header("To", _people(parts.to, "To"))} if parts.to else {}),
        **({"cc": _header("Cc", _people(parts.cc, "Cc"))} if parts.cc else {}),
        **(
            {"reply-to": _header("Reply-To", _people(parts.reply_to, "ReplyTo"))}
            if parts.reply_to
            else {}
        ),
        "subject": _header("Subject", _text_header("Subject", parts.subject)),
        "date": f"Date: {formatdate(date, usegmt=True)}",
        "message-id": f"Message-ID: <{_checked('Message-ID', message_id)}>",
        "mime-version": "MIME-Version: 1.0",
    }
    added = []
    for name, value in (*headers_first, *parts.headers):
        key = _name(name).lower()
        line = _header(name, _text_header(name, value))
        if key in PROVIDERS_OWN:
            continue
        if key in REPLACEABLE:
            own[key] = line  # one From, one Subject: the caller's, where it gave one
        else:
            added.append(line)
    body = _body(parts)
    return (CRLF.join([*own.values(), *added]) + CRLF + body).encode("ascii")


# A caller's header that the message has once already (RFC 5322 3.6: From, Subject and the
# rest at most once) replaces it, never doubles it; Message-ID and Date stay the provider's,
# as SES documents ("overrides the header with its own value"), and the MIME structure is ours.
REPLACEABLE = frozenset({"from", "to", "cc", "reply-to", "subject"})
PROVIDERS_OWN = frozenset(
    {"message-id", "date", "mime-version", "content-type", "content-transfer-encoding"}
)


def rendered_template(subject: str, text: str, html: str, *, date: float) -> str:
    """SES's `RenderedTemplate`: the MIME message a template makes (Date, Subject, the parts),
    without the envelope's people (TestRenderTemplate has none)."""
    lines = [
        f"Date: {formatdate(date, usegmt=True)}",
        _header("Subject", _text_header("Subject", subject)),
        "MIME-Version: 1.0",
    ]
    return CRLF.join(lines) + CRLF + _body(Parts(sender=("", ""), text=text, html=html))


def raw_addresses(raw: bytes) -> RawAddresses:
    """The From and the To/Cc/Bcc addresses of a raw message (headers only, bounded)."""
    end = raw.find(b"\r\n\r\n", 0, MAX_HEADER_BLOCK)
    if end < 0:
        end = raw.find(b"\n\n", 0, MAX_HEADER_BLOCK)
    block = raw[: end if end >= 0 else MAX_HEADER_BLOCK]
    message = BytesHeaderParser(policy=compat32).parsebytes(block)

    def found(*names: str) -> list[str]:
        values = [str(v) for n in names for v in message.get_all(n, [])]
        return [address for _, address in getaddresses(values) if "@" in address]

    senders = found("From")
    return RawAddresses(
        senders[0] if senders else "", tuple(dict.fromkeys(found("To", "Cc", "Bcc")))
    )


# -- headers ------------------------------------------------------------------------------------


def _checked(name: str, value: str) -> str:
    try:
        return check_header(name, value)
    except HeaderInjectionError as exc:
        raise InvalidInputError(str(exc), exc.field) from None


def _name(name: str) -> str:
    if not name or len(name) > 126 or not all(33 <= ord(c) <= 126 and c != ":" for c in name):
        raise InvalidInputError(f"{name[:40]!r} is not a header name", "Headers")
    return name


def _header(name: str, value: str) -> str:
    """`Name: value`; a value whose line would be too long is folded at spaces."""
    line = f"{name}: {value}"
    if max(len(physical) for physical in line.split(CRLF)) <= MAX_LINE:
        return line
    return f"{name}: " + Header(value, header_name=name).encode(linesep=CRLF)


def _text_header(name: str, value: str) -> str:
    _checked(name, value)
    if value.isascii():
        return value
    return Header(value, "utf-8", header_name=name).encode(linesep=CRLF)


def _people(people: Iterable[tuple[str, str]], field: str) -> str:
    out = []
    for display, address in people:
        _checked(field, display)
        _checked(field, address)
        local, at, domain = address.rpartition("@")
        if not at or not local or not domain or " " in address:
            raise InvalidInputError(f"{address!r} is not an email address", field)
        if not address.isascii():
            raise InvalidInputError(non_ascii_address(address), field)
        out.append(formataddr((display, address), charset="utf-8") if display else address)
    return ", ".join(out)


def non_ascii_address(address: str) -> str:
    """Why `address` (holding a non-ASCII character) cannot be sent, as SES documents it: no
    SMTPUTF8, so a 7-bit local part, and a domain in Punycode."""
    local, _, domain = address.rpartition("@")
    if not local.isascii():
        return (
            f"{address!r}: the local part of an email address (before the @) may only contain "
            "7-bit ASCII characters (SMTPUTF8 is not supported)"
        )
    try:
        punycode = domain.encode("idna").decode("ascii")
    except UnicodeError:  # not a valid internationalised name either
        punycode = "xn--..."
    return (
        f"{address!r}: a domain with non-ASCII characters must be written in Punycode ({punycode})"
    )


# -- bodies -------------------------------------------------------------------------------------


def _text_part(text: str, subtype: str) -> str:
    data = text.replace("\r\n", "\n").replace("\r", "\n")
    if data.isascii() and all(len(line) <= MAX_LINE for line in data.split("\n")):
        encoding, payload = "7bit", data.replace("\n", CRLF)
    else:
        encoding = "quoted-printable"
        payload = binascii.b2a_qp(data.encode("utf-8")).decode("ascii").replace("\n", CRLF)
    return (
        f"Content-Type: text/{subtype}; charset=UTF-8{CRLF}"
        f"Content-Transfer-Encoding: {encoding}{CRLF}{CRLF}{payload}"
    )


def _base64_lines(content: bytes) -> str:
    encoded = base64.b64encode(content).decode("ascii")
    return CRLF.join(encoded[i : i + 76] for i in range(0, len(encoded), 76))


def _filename(value: str) -> str:
    _checked("Attachments.filename", value)
    if value.isascii() and '"' not in value and "\\" not in value:
        return f'"{value}"'
    return '"' + Header(value, "utf-8").encode() + '"'


def _attachment(item: Attachment) -> str:
    ctype = (
        item.content_type or mimetypes.guess_type(item.filename)[0] or "application/octet-stream"
    )
    _checked("Attachments.content_type", ctype)
    disposition = "inline" if item.content_id else "attachment"
    lines = [
        f"Content-Type: {ctype}; name={_filename(item.filename)}",
        f"Content-Disposition: {disposition}; filename={_filename(item.filename)}",
        "Content-Transfer-Encoding: base64",
    ]
    if item.content_id:
        lines.append(f"Content-ID: <{_checked('Attachments.content_id', item.content_id)}>")
    return CRLF.join(lines) + CRLF + CRLF + _base64_lines(item.content)


def _multipart(subtype: str, parts: list[str]) -> str:
    boundary = "=_mailyard_" + secrets.token_hex(12)
    inner = "".join(f"--{boundary}{CRLF}{part}{CRLF}" for part in parts)
    return (
        f'Content-Type: multipart/{subtype}; boundary="{boundary}"{CRLF}{CRLF}'
        f"{inner}--{boundary}--{CRLF}"
    )


def _body(parts: Parts) -> str:
    """Everything from the top-level Content-Type on."""
    alternatives = []
    if parts.text or not parts.html:
        alternatives.append(_text_part(parts.text, "plain"))
    if parts.html:
        alternatives.append(_text_part(parts.html, "html"))
    inline = [a for a in parts.attachments if a.content_id]
    attached = [a for a in parts.attachments if not a.content_id]
    if inline and parts.html:
        html = _multipart("related", [alternatives[-1], *(_attachment(a) for a in inline)])
        alternatives[-1] = html
    else:
        attached = [*inline, *attached]
    content = alternatives[0] if len(alternatives) == 1 else _multipart("alternative", alternatives)
    if attached:
        content = _multipart("mixed", [content, *(_attachment(a) for a in attached)])
    return content
