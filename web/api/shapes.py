"""Mailpit's JSON shapes (API v1), so a client written for Mailpit reads ours unchanged.

Field names are Mailpit's (`ID`, `From`, `Snippet`, ...); what we add beyond it (`Mailbox`,
`Envelope`, `cursor`) is extra keys a Mailpit client ignores. Times are RFC 3339 with an offset,
written as Go writes a `time.Time` (`Z` for UTC, trailing zeros of the fraction dropped); tags
are in Mailpit's order (SQLite's NOCASE: ASCII letters folded, then byte order).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mailyard.sandbox import Address, MessageRecord, MessageSummary, MessageView, Page, Part
from mailyard.web.api.unsubscribe import parse_unsubscribe


def go_time(value: datetime) -> str:
    """`value` as Go's `time.Time` marshals it (RFC 3339, nanoseconds trimmed); naive is UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    offset = value.utcoffset()
    seconds = int(offset.total_seconds()) if offset else 0
    if not seconds:
        return text + "Z"
    sign = "+" if seconds > 0 else "-"
    seconds = abs(seconds)
    return f"{text}{sign}{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def rfc3339(text: str | None) -> str | None:
    """A stored ISO time (with or without an offset: without one it is UTC) in Go's form."""
    if not text:
        return None
    try:
        return go_time(datetime.fromisoformat(text))
    except ValueError:
        return None


def tag_order(tags: list[str]) -> list[str]:
    """Tags in Mailpit's order: `ORDER BY Name` under SQLite's NOCASE collation."""
    return sorted(tags, key=lambda t: t.encode("utf-8").lower())


def message_id(m: MessageSummary) -> str:
    """The Message-ID Mailpit shows: the header's, or the one Mailpit writes into a message that
    has none (22 characters of base62 and `@mailpit`; ours is the message's own ID)."""
    return m.message_id or f"{m.id}@mailpit"


def address(a: Address | None) -> dict[str, str]:
    return a.as_json() if a is not None else {"Name": "", "Address": ""}


def addresses(items: list[Address]) -> list[dict[str, str]]:
    return [a.as_json() for a in items]


def summary(m: MessageSummary) -> dict[str, Any]:
    return {
        "ID": m.id,
        "MessageID": message_id(m),
        "Read": m.read,
        "From": address(m.sender),
        "To": addresses(m.to),
        "Cc": addresses(m.cc),
        "Bcc": addresses(m.bcc),
        "ReplyTo": addresses(m.reply_to),
        "Subject": m.subject,
        "Created": rfc3339(m.created) or m.created,
        "Username": m.username,
        "Tags": tag_order(m.tags),
        "Size": m.size,
        "Attachments": m.attachments,
        "Snippet": m.snippet,
        "Mailbox": m.mailbox,
    }


def page(p: Page, tags: list[str]) -> dict[str, Any]:
    return {
        "total": p.total,
        "unread": p.unread,
        "count": len(p.messages),  # older Mailpit versions sent it; their clients still read it
        "messages_count": p.count,
        "messages_unread": p.count_unread,
        "start": p.start,
        "tags": tag_order(tags),
        "messages": [summary(m) for m in p.messages],
        "cursor": str(p.cursor),
    }


def part(p: Part) -> dict[str, Any]:
    return {
        "PartID": p.part_id,
        "FileName": p.filename or p.content_id,  # Mailpit names a nameless part by its CID
        "ContentType": p.content_type,
        "ContentID": p.content_id,
        "Size": p.size,
        "Checksums": {"MD5": p.md5, "SHA1": p.sha1, "SHA256": p.sha256},
    }


def header(view: MessageView, name: str) -> str:
    lowered = name.lower()
    return next((v for k, v in view.headers if k.lower() == lowered), "")


def list_unsubscribe(view: MessageView) -> dict[str, Any]:
    value = header(view, "List-Unsubscribe")
    if not value:
        return {"Header": "", "Links": [], "Errors": "", "HeaderPost": ""}
    parsed = parse_unsubscribe(value)
    return {
        "Header": value,
        "Links": list(parsed.links),
        "Errors": parsed.errors,
        "HeaderPost": header(view, "List-Unsubscribe-Post"),
    }


def message(
    record: MessageRecord,
    view: MessageView,
    *,
    text: str,
    inline: list[Part],
    attachments: list[Part],
) -> dict[str, Any]:
    """Mailpit's `Message`; `text` is the text body (or the HTML as text), `inline` and
    `attachments` the parts as Mailpit sorts them (`web.api.mime`)."""
    m = record.summary
    envelope = record.envelope
    created = rfc3339(m.created) or m.created
    return_path = envelope.mail_from or header(view, "Return-Path").strip().strip("<>")
    return {
        "ID": m.id,
        "MessageID": message_id(m),
        "From": address(m.sender),
        "To": addresses(m.to),
        "Cc": addresses(m.cc),
        "Bcc": addresses(m.bcc),
        "ReplyTo": addresses(m.reply_to),
        "ReturnPath": return_path or (m.sender.address if m.sender else ""),
        "Subject": m.subject,
        "ListUnsubscribe": list_unsubscribe(view),
        "Date": rfc3339(record.date) or created,
        "Created": created,
        "Tags": tag_order(m.tags),
        "Username": m.username,
        "Text": text,
        "HTML": view.html,
        "Size": m.size,
        "Inline": [part(p) for p in inline],
        "Attachments": [part(p) for p in attachments],
        "Mailbox": m.mailbox,
        "Read": m.read,
        "Envelope": {
            "MailFrom": envelope.mail_from,
            "RcptTo": list(envelope.rcpt_to),
            "Source": envelope.source,
            "ClientAddress": envelope.client_addr,
            "Helo": envelope.helo,
            "TLS": envelope.tls,
        },
        "SHA256": record.sha256,
        "Notes": [n for n in (record.parse_error, *view.notes) if n],
    }
