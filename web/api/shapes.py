"""Mailpit's JSON shapes (API v1), so a client written for Mailpit reads ours unchanged.

Field names are Mailpit's (`ID`, `From`, `Snippet`, ...); what we add beyond it (`Mailbox`,
`Envelope`, `cursor`) is extra keys a Mailpit client ignores.
"""

from __future__ import annotations

from typing import Any

from mailyard.sandbox import Address, MessageRecord, MessageSummary, MessageView, Page, Part


def address(a: Address | None) -> dict[str, str]:
    return a.as_json() if a is not None else {"Name": "", "Address": ""}


def addresses(items: list[Address]) -> list[dict[str, str]]:
    return [a.as_json() for a in items]


def summary(m: MessageSummary) -> dict[str, Any]:
    return {
        "ID": m.id,
        "MessageID": m.message_id,
        "Read": m.read,
        "From": address(m.sender),
        "To": addresses(m.to),
        "Cc": addresses(m.cc),
        "Bcc": addresses(m.bcc),
        "ReplyTo": addresses(m.reply_to),
        "Subject": m.subject,
        "Created": m.created,
        "Username": m.username,
        "Tags": m.tags,
        "Size": m.size,
        "Attachments": m.attachments,
        "Snippet": m.snippet,
        "Mailbox": m.mailbox,
    }


def page(p: Page, tags: list[str]) -> dict[str, Any]:
    return {
        "total": p.total,
        "unread": p.unread,
        "messages_count": p.count,
        "messages_unread": p.count_unread,
        "start": p.start,
        "count": len(p.messages),  # older Mailpit versions sent it; their clients still read it
        "tags": tags,
        "messages": [summary(m) for m in p.messages],
        "cursor": str(p.cursor),
    }


def part(p: Part) -> dict[str, Any]:
    return {
        "PartID": p.part_id,
        "FileName": p.filename,
        "ContentType": p.content_type,
        "ContentID": p.content_id,
        "Size": p.size,
        "Checksums": {"MD5": p.md5, "SHA1": p.sha1, "SHA256": p.sha256},
    }


def _header(view: MessageView, name: str) -> str:
    lowered = name.lower()
    return next((v for k, v in view.headers if k.lower() == lowered), "")


def message(record: MessageRecord, view: MessageView) -> dict[str, Any]:
    m = record.summary
    unsubscribe = _header(view, "List-Unsubscribe")
    envelope = record.envelope
    return {
        "ID": m.id,
        "MessageID": m.message_id,
        "From": address(m.sender),
        "To": addresses(m.to),
        "Cc": addresses(m.cc),
        "Bcc": addresses(m.bcc),
        "ReplyTo": addresses(m.reply_to),
        "ReturnPath": _header(view, "Return-Path").strip().strip("<>") or envelope.mail_from,
        "Subject": m.subject,
        "ListUnsubscribe": {
            "Header": unsubscribe,
            "HeaderPost": _header(view, "List-Unsubscribe-Post"),
            "Links": [x.strip().strip("<>") for x in unsubscribe.split(",") if x.strip()],
            "Errors": "",
        },
        "Date": record.date or m.created,
        "Created": m.created,
        "Tags": m.tags,
        "Username": m.username,
        "Text": view.text,
        "HTML": view.html,
        "Size": m.size,
        "Inline": [part(p) for p in view.inline],
        "Attachments": [part(p) for p in view.attachments],
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


def headers(view: MessageView) -> dict[str, list[str]]:
    """Header name -> values in message order; names sorted, as Mailpit returns them."""
    grouped: dict[str, list[str]] = {}
    for name, value in view.headers:
        grouped.setdefault(name, []).append(value)
    return dict(sorted(grouped.items(), key=lambda kv: kv[0].lower()))
