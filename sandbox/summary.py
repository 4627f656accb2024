"""What is derived from a raw message at ingest: addresses, subject, snippet, search text, tags.

This runs before the `250`, so it is cheap and it cannot fail: it uses the compat32 parser
(~0.1-0.3 ms for a 2 KB message, where `policy.default` costs ~1.7 ms), caps every input that
CPython's `email` handles super-linearly (address headers, encoded words), and falls back to a
headers-only or raw-text summary when the MIME tree is broken or too deep. Rich MIME work happens
later, on view (`sandbox.mime`).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from email import message_from_bytes
from email.header import Header, decode_header, make_header
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime

SNIPPET_CHARS = 250
MAX_ADDRESS_HEADER = 64 * 1024  # 20,000 addresses (280 KB) take 4 s in CPython's parser
MAX_ADDRESSES = 1000
MAX_SUBJECT = 16 * 1024
MAX_SEARCH_BODY = 256 * 1024
MAX_PARTS = 500


@dataclass(frozen=True)
class Address:
    """One mailbox: `Jane Doe <jane@example.com>` is Address("Jane Doe", "jane@example.com")."""

    name: str
    address: str

    def as_json(self) -> dict[str, str]:
        return {"Name": self.name, "Address": self.address}


@dataclass(frozen=True)
class Summary:
    """The derived fields stored beside the raw bytes."""

    sender: Address | None
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    bcc: tuple[Address, ...]
    reply_to: tuple[Address, ...]
    subject: str
    snippet: str
    message_id: str
    date: str | None
    attachments: int
    tags: tuple[str, ...]
    body_text: str
    parse_error: str | None = None
    notes: tuple[str, ...] = field(default=())


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words; unknown charsets and broken encodings degrade, never raise."""
    if "=?" not in value:
        return _unfold(value)
    try:
        return _unfold(str(make_header(decode_header(value))))
    except Exception:
        return _unfold(value)


def _unfold(value: str) -> str:
    return re.sub(r"\r?\n[ \t]*", " ", value).strip()


def header_text(value: object) -> str:
    """A compat32 header value as text.

    Raw 8-bit headers (SMTPUTF8, RFC 6532, or just careless software) come back from compat32
    as `Header` objects whose `str()` is replacement characters: decode their bytes as UTF-8,
    or as Latin-1 when they are not UTF-8.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, Header):
        pieces = []
        for chunk, _charset in decode_header(value):
            if isinstance(chunk, bytes):
                try:
                    pieces.append(chunk.decode("utf-8"))
                except UnicodeDecodeError:
                    pieces.append(chunk.decode("latin-1"))
            else:
                pieces.append(chunk)
        return "".join(pieces)
    return str(value)


def header_str(msg: Message, name: str) -> str:
    """One header of `msg` as text ("" when absent)."""
    raw = msg.get(name)
    return "" if raw is None else header_text(raw)


def parse_addresses(value: str) -> tuple[Address, ...]:
    """Parse an address header, capped so pathological headers stay cheap."""
    if not value:
        return ()
    value = value[:MAX_ADDRESS_HEADER]
    out = []
    for name, addr in getaddresses([value]):
        if not name and not addr:
            continue
        out.append(Address(decode_words(name), addr))
        if len(out) >= MAX_ADDRESSES:
            break
    return tuple(out)


def plus_tags(addresses: list[str]) -> list[str]:
    """Tags from plus-addressing: `jane+signup@example.com` is tagged `signup`."""
    tags = []
    for addr in addresses:
        local = addr.rpartition("@")[0]
        if "+" in local:
            tag = local.split("+", 1)[1].strip()
            if tag:
                tags.append(tag)
    return tags


def header_tags(value: str) -> list[str]:
    """Tags from an `X-Tags` header: comma separated."""
    return [t.strip() for t in decode_words(value).split(",") if t.strip()]


_TAG_RE = re.compile(r"<[^>]*>")
_DROP_RE = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_SPACE_RE = re.compile(r"\s+")


def html_to_text(markup: str) -> str:
    """Visible text of an HTML body, good enough for a snippet and for search."""
    text = _TAG_RE.sub(" ", _DROP_RE.sub(" ", markup))
    return html.unescape(text)


def _decode_part(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("utf-8", errors="replace")


def _walk(msg: Message) -> tuple[str, str, int, list[str]]:
    """Text, HTML, attachment count and notes, walking the tree without recursion."""
    texts: list[str] = []
    htmls: list[str] = []
    attachments = 0
    notes: list[str] = []
    stack = [msg]
    seen = 0
    while stack:
        part = stack.pop()
        seen += 1
        if seen > MAX_PARTS:
            notes.append(f"more than {MAX_PARTS} MIME parts; the rest were not indexed")
            break
        if part.is_multipart():
            children = part.get_payload()
            if isinstance(children, list):
                stack.extend(c for c in reversed(children) if isinstance(c, Message))
            continue
        disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
        ctype = part.get_content_type()
        if disposition == "attachment" or (
            part.get_filename() and ctype not in ("text/plain", "text/html")
        ):
            attachments += 1
        elif ctype == "text/plain":
            texts.append(_decode_part(part))
        elif ctype == "text/html":
            htmls.append(_decode_part(part))
    return "\n".join(texts), "\n".join(htmls), attachments, notes


def summarize(raw: bytes, rcpt_to: list[str], extra_tags: tuple[str, ...] = ()) -> Summary:
    """Derive the summary of `raw`; never raises."""
    try:
        return _summarize(raw, rcpt_to, extra_tags)
    except Exception as exc:  # a last resort: the raw view always works
        return _fallback(raw, rcpt_to, extra_tags, f"unparsed: {type(exc).__name__}")


def _summarize(raw: bytes, rcpt_to: list[str], extra_tags: tuple[str, ...]) -> Summary:
    parse_error: str | None = None
    notes: list[str] = []
    try:
        msg = message_from_bytes(raw, policy=compat32)
        text, markup, attachments, walk_notes = _walk(msg)
        notes.extend(walk_notes)
    except RecursionError:
        msg = BytesHeaderParser(policy=compat32).parsebytes(raw)
        text, markup, attachments = _raw_body(raw), "", 0
        parse_error = "MIME structure too deeply nested; showing headers and raw text"
    sender_list = parse_addresses(header_str(msg, "From"))
    to = parse_addresses(header_str(msg, "To"))
    cc = parse_addresses(header_str(msg, "Cc"))
    listed = {a.address.lower() for a in (*to, *cc)}
    bcc = parse_addresses(header_str(msg, "Bcc"))
    listed.update(a.address.lower() for a in bcc)
    # Recipients in the envelope but in no header were Bcc'd: show them as Bcc, like Mailpit.
    bcc += tuple(Address("", r) for r in rcpt_to if r.lower() not in listed)
    subject = decode_words(header_str(msg, "Subject")[:MAX_SUBJECT])
    body = text if text.strip() else html_to_text(markup)
    tags = list(extra_tags)
    tags += header_tags(header_str(msg, "X-Tags"))
    tags += plus_tags([a.address for a in (*to, *cc)] + rcpt_to)
    return Summary(
        sender=sender_list[0] if sender_list else None,
        to=to,
        cc=cc,
        bcc=bcc,
        reply_to=parse_addresses(header_str(msg, "Reply-To")),
        subject=subject,
        snippet=make_snippet(body),
        message_id=header_str(msg, "Message-ID").strip().strip("<>")[:998],
        date=_date(header_str(msg, "Date")),
        attachments=attachments,
        tags=tuple(dict.fromkeys(tags)),
        body_text=body[:MAX_SEARCH_BODY],
        parse_error=parse_error,
        notes=tuple(notes),
    )


def _fallback(raw: bytes, rcpt_to: list[str], extra_tags: tuple[str, ...], why: str) -> Summary:
    body = _raw_body(raw)
    return Summary(
        sender=None,
        to=(),
        cc=(),
        bcc=tuple(Address("", r) for r in rcpt_to),
        reply_to=(),
        subject="",
        snippet=make_snippet(body),
        message_id="",
        date=None,
        attachments=0,
        tags=extra_tags,
        body_text=body[:MAX_SEARCH_BODY],
        parse_error=why,
    )


def _raw_body(raw: bytes) -> str:
    for sep in (b"\r\n\r\n", b"\n\n"):
        _, found, body = raw.partition(sep)
        if found:
            return body[:MAX_SEARCH_BODY].decode("utf-8", errors="replace")
    return ""


def make_snippet(text: str) -> str:
    return _SPACE_RE.sub(" ", text[: SNIPPET_CHARS * 8]).strip()[:SNIPPET_CHARS]


def _date(value: str) -> str | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).isoformat()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
