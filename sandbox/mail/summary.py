"""What is derived from a raw message at ingest: addresses, subject, snippet, search text, tags.

This runs before the `250`, so it is cheap and it cannot fail: the part tree comes from
`sandbox.mail.mimetree` (offsets into the raw bytes, no copies), only the first `INGEST_BODY`
bytes of the text parts are decoded (attachments never are), every header is read by a linear
reader of our own (addresses, encoded words) and capped, and any unexpected error falls back to
a raw-text summary. Attachment details are worked out later, on view (`sandbox.mail.view`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from html import unescape

from mailyard.sandbox.mail import mimetree
from mailyard.sandbox.mail.addresses import MAX_ADDRESSES, Address, parse_addresses
from mailyard.sandbox.mail.bodies import read_bodies
from mailyard.sandbox.mail.htmltext import html_to_text
from mailyard.sandbox.mail.partkinds import count_parts
from mailyard.sandbox.mail.words import decode_words

__all__ = [
    "MAX_ADDRESSES",
    "Address",
    "Summary",
    "decode_words",
    "html_to_text",
    "parse_addresses",
    "summarize",
]

SNIPPET_CHARS = 250
MAX_SUBJECT = 16 * 1024
MAX_SEARCH_BODY = 256 * 1024
INGEST_BODY = 1024 * 1024  # HTML shrinks to text: decode more of it than the search keeps
MAX_DATE = 256

_SPACE_RE = re.compile(r"\s+")


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
    # Mailpit counts inline parts apart from attachments (`Inline`), and searches the
    # attachments' file names.
    inlines: int = 0
    attachment_names: tuple[str, ...] = ()


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


def summarize(raw: bytes, rcpt_to: list[str], extra_tags: tuple[str, ...] = ()) -> Summary:
    """Derive the summary of `raw`; never raises."""
    try:
        return _summarize(raw, rcpt_to, extra_tags)
    except Exception as exc:  # a last resort: the raw view always works
        return _fallback(raw, rcpt_to, extra_tags, f"unparsed: {type(exc).__name__}")


def _summarize(raw: bytes, rcpt_to: list[str], extra_tags: tuple[str, ...]) -> Summary:
    root, notes = mimetree.parse(raw)
    found = read_bodies(root, INGEST_BODY)
    counted = count_parts(root)
    sender_list = parse_addresses(root.header("From"))
    to = parse_addresses(root.header("To"))
    cc = parse_addresses(root.header("Cc"))
    listed = {a.address.lower() for a in (*to, *cc)}
    bcc = parse_addresses(root.header("Bcc"))
    listed.update(a.address.lower() for a in bcc)
    # Recipients in the envelope but in no header were Bcc'd: show them as Bcc, like Mailpit.
    bcc += tuple(Address("", r) for r in rcpt_to if r.lower() not in listed)
    subject = decode_words(root.header("Subject")[:MAX_SUBJECT])
    body, searched = body_texts(found.text, found.html)
    tags = list(extra_tags)
    tags += header_tags(root.header("X-Tags")[:MAX_SUBJECT])
    tags += plus_tags([a.address for a in (*to, *cc)] + rcpt_to)
    return Summary(
        sender=sender_list[0] if sender_list else None,
        to=to,
        cc=cc,
        bcc=bcc,
        reply_to=parse_addresses(root.header("Reply-To")),
        subject=subject,
        snippet=make_snippet(body),
        message_id=root.header("Message-ID").strip().strip("<>")[:998],
        date=_date(root.header("Date")[:MAX_DATE]),
        attachments=counted.attachments,
        tags=tuple(dict.fromkeys(tags)),
        body_text=searched[:MAX_SEARCH_BODY],
        parse_error="; ".join(notes) or None,
        notes=tuple(notes),
        inlines=counted.inlines,
        attachment_names=tuple(decode_words(n[:MAX_SUBJECT]) for n in counted.attachment_names),
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
        at = raw.find(sep)
        if at >= 0:
            start = at + len(sep)
            return raw[start : start + MAX_SEARCH_BODY].decode("utf-8", errors="replace")
    return ""


def body_texts(text: str, html: str) -> tuple[str, str]:
    """What the list shows of a message's bodies (its snippet) and what search reads, as Mailpit
    makes them (createSearchText, CreateSnippet): with an HTML part, its visible text — and for
    search its links too, the `http` hrefs appended as html2text's includeLinks does, so a reset
    URL's host or path finds its mail — and the text part is not read; else the text part."""
    if not html.strip():
        return text, text
    shown = html_to_text(html)
    links = [unescape(m.group(1) or m.group(2) or m.group(3)) for m in _HREF.finditer(html)]
    return shown, " ".join([shown, *links[:MAX_LINKS]])


# `href=` with an http(s) value, quoted either way or bare: a literal start, negated classes,
# no nesting, so linear in the HTML.
_HREF = re.compile(
    r"""\bhref\s*=\s*(?:"(https?:[^"]*)"|'(https?:[^']*)'|(https?:[^\s"'>]+))""", re.IGNORECASE
)
MAX_LINKS = 1000


def make_snippet(text: str) -> str:
    return _SPACE_RE.sub(" ", text[: SNIPPET_CHARS * 8]).strip()[:SNIPPET_CHARS]


def _date(value: str) -> str | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).isoformat()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
