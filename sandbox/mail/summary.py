"""What is derived from a raw message at ingest: addresses, subject, snippet, search text, tags.

This runs before the `250`, so it is cheap and it cannot fail: the part tree comes from
`sandbox.mimetree` (no feedparser: attachments are never read), only text parts are decoded,
every input that CPython's `email` handles super-linearly (address headers, encoded words) is
capped, and any unexpected error falls back to a raw-text summary. Attachment details are worked
out later, on view (`sandbox.mime`).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.utils import getaddresses, parsedate_to_datetime

from mailyard.sandbox.mail import mimetree
from mailyard.sandbox.mail.mimetree import Node

SNIPPET_CHARS = 250
MAX_ADDRESS_HEADER = 64 * 1024  # 20,000 addresses (280 KB) take 4 s in CPython's parser
MAX_ADDRESSES = 1000
MAX_SUBJECT = 16 * 1024
MAX_SEARCH_BODY = 256 * 1024


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


_SIMPLE_ADDRESS = re.compile(r"^\s*(?:([^<>,]*?)\s*<([^<>\s,]+)>|([^<>\s,]+))\s*$")
_COMPLEX = re.compile(r'["()\\:;]')


def _simple_addresses(value: str) -> list[tuple[str, str]] | None:
    """`Name <a@x>, b@y` without quotes, comments or groups: the common case, parsed by a regex.

    None when the value needs the full RFC 5322 parser.
    """
    if _COMPLEX.search(value):
        return None
    pairs = []
    for item in value.split(","):
        if not item.strip():
            continue
        match = _SIMPLE_ADDRESS.match(item)
        if match is None:
            return None
        name, angle, bare = match.groups()
        pairs.append((name or "", angle or bare))
    return pairs


def parse_addresses(value: str) -> tuple[Address, ...]:
    """Parse an address header, capped so pathological headers stay cheap."""
    if not value:
        return ()
    value = value[:MAX_ADDRESS_HEADER]
    pairs = _simple_addresses(value)
    if pairs is None:
        pairs = getaddresses([value])
    out = []
    for name, addr in pairs:
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


def bodies(root: Node) -> tuple[str, str, int]:
    """Plain text, HTML and the number of attachments, from the leaves of a part tree.

    A multipart cut off by the depth or part cap shows its raw body as text, so what it holds
    is still readable and searchable.
    """
    texts: list[str] = []
    htmls: list[str] = []
    attachments = 0
    for leaf in root.leaves():
        ctype = leaf.content_type
        if leaf.disposition == "attachment" or (leaf.filename and not ctype.startswith("text/")):
            attachments += 1
        elif ctype == "text/plain":
            texts.append(leaf.text())
        elif ctype == "text/html":
            htmls.append(leaf.text())
        elif ctype.startswith("multipart/"):
            texts.append(leaf.body.decode("utf-8", errors="replace"))
    return "\n".join(texts), "\n".join(htmls), attachments


def summarize(raw: bytes, rcpt_to: list[str], extra_tags: tuple[str, ...] = ()) -> Summary:
    """Derive the summary of `raw`; never raises."""
    try:
        return _summarize(raw, rcpt_to, extra_tags)
    except Exception as exc:  # a last resort: the raw view always works
        return _fallback(raw, rcpt_to, extra_tags, f"unparsed: {type(exc).__name__}")


def _summarize(raw: bytes, rcpt_to: list[str], extra_tags: tuple[str, ...]) -> Summary:
    root, notes = mimetree.parse(raw)
    text, markup, attachments = bodies(root)
    sender_list = parse_addresses(root.header("From"))
    to = parse_addresses(root.header("To"))
    cc = parse_addresses(root.header("Cc"))
    listed = {a.address.lower() for a in (*to, *cc)}
    bcc = parse_addresses(root.header("Bcc"))
    listed.update(a.address.lower() for a in bcc)
    # Recipients in the envelope but in no header were Bcc'd: show them as Bcc, like Mailpit.
    bcc += tuple(Address("", r) for r in rcpt_to if r.lower() not in listed)
    subject = decode_words(root.header("Subject")[:MAX_SUBJECT])
    body = text if text.strip() else html_to_text(markup)
    tags = list(extra_tags)
    tags += header_tags(root.header("X-Tags"))
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
        date=_date(root.header("Date")),
        attachments=attachments,
        tags=tuple(dict.fromkeys(tags)),
        body_text=body[:MAX_SEARCH_BODY],
        parse_error="; ".join(notes) or None,
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
