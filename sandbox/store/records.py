"""Typed values for what the store holds: an envelope in, summaries, records and pages out."""

from __future__ import annotations

import json
import secrets
import sqlite3
import string
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mailyard.sandbox.mail.summary import Address

_ALPHABET = string.ascii_letters + string.digits


def new_id() -> str:
    """A 22-character random ID (128 bits, base62), the shape of Mailpit's."""
    number = int.from_bytes(secrets.token_bytes(16), "big")
    digits = []
    for _ in range(22):
        number, digit = divmod(number, 62)
        digits.append(_ALPHABET[digit])
    return "".join(digits)


@dataclass(frozen=True)
class Envelope:
    """How a message arrived: the SMTP envelope and session, or the API call that carried it."""

    mail_from: str
    rcpt_to: tuple[str, ...]
    mailbox: str = "default"
    source: str = "smtp"
    client_addr: str = ""
    helo: str = ""
    auth_user: str = ""
    tls: bool = False
    # Set when the message came through an emulated provider API: the provider's message id
    # (SES's or Resend's) and what it knew of the send (tags, configuration set, caller...).
    provider_id: str = ""
    provider_json: str = "{}"


@dataclass(frozen=True)
class Stored:
    """A message just committed: what a waiter or a live page needs to know."""

    seq: int
    id: str
    mailbox: str
    created: float = 0.0


@dataclass(frozen=True)
class MessageSummary:
    """One row of a listing."""

    seq: int
    id: str
    mailbox: str
    created: str
    sender: Address | None
    to: list[Address]
    cc: list[Address]
    bcc: list[Address]
    reply_to: list[Address]
    subject: str
    snippet: str
    message_id: str
    size: int
    attachments: int
    read: bool
    username: str
    tags: list[str]


@dataclass(frozen=True)
class MessageRecord:
    """A summary plus the envelope and the parse notes: what a detail view shows."""

    summary: MessageSummary
    envelope: Envelope
    date: str | None
    sha256: str
    parse_error: str | None


SUMMARY_COLUMNS = (
    "m.seq, m.id, m.mailbox, m.created, m.from_json, m.to_json, m.cc_json, m.bcc_json, "
    "m.reply_to_json, m.subject, m.snippet, m.message_id, m.size, m.attachments, m.read, "
    "m.auth_user, (SELECT json_group_array(tag) FROM message_tags t WHERE t.seq = m.seq) AS tags"
)
RECORD_COLUMNS = (
    SUMMARY_COLUMNS + ", m.mail_from, m.rcpt_to, m.source, m.client_addr, m.helo, m.tls, "
    "m.date, m.sha256, m.parse_error, m.provider_id, m.provider_json"
)


def addresses_json(addresses: tuple[Address, ...] | list[Address]) -> str:
    return json.dumps([[a.name, a.address] for a in addresses], ensure_ascii=False)


def _addresses(text: str | None) -> list[Address]:
    # Imported here: the mail reader (mimetree, charsets, html) is not needed to start the store.
    from mailyard.sandbox.mail.summary import Address

    return [Address(name, addr) for name, addr in json.loads(text or "[]")]


def summary_from_row(row: sqlite3.Row) -> MessageSummary:
    sender = _addresses("[" + row["from_json"] + "]") if row["from_json"] else []
    return MessageSummary(
        seq=row["seq"],
        id=row["id"],
        mailbox=row["mailbox"],
        created=row["created"],
        sender=sender[0] if sender else None,
        to=_addresses(row["to_json"]),
        cc=_addresses(row["cc_json"]),
        bcc=_addresses(row["bcc_json"]),
        reply_to=_addresses(row["reply_to_json"]),
        subject=row["subject"],
        snippet=row["snippet"],
        message_id=row["message_id"],
        size=row["size"],
        attachments=row["attachments"],
        read=bool(row["read"]),
        username=row["auth_user"],
        tags=sorted(json.loads(row["tags"] or "[]"), key=str.casefold),
    )


def record_from_row(row: sqlite3.Row) -> MessageRecord:
    return MessageRecord(
        summary=summary_from_row(row),
        envelope=Envelope(
            mail_from=row["mail_from"],
            rcpt_to=tuple(json.loads(row["rcpt_to"])),
            mailbox=row["mailbox"],
            source=row["source"],
            client_addr=row["client_addr"],
            helo=row["helo"],
            auth_user=row["auth_user"],
            tls=bool(row["tls"]),
            provider_id=row["provider_id"],
            provider_json=row["provider_json"],
        ),
        date=row["date"],
        sha256=row["sha256"],
        parse_error=row["parse_error"],
    )


@dataclass(frozen=True)
class Page:
    """A page of a listing or search, with Mailpit's counts."""

    messages: list[MessageSummary]
    start: int
    total: int  # in the mailbox (or all mailboxes)
    unread: int
    count: int  # matching the query
    count_unread: int
    cursor: int  # the newest seq at the time of the query


@dataclass(frozen=True)
class SendRecord:
    """What the mailer did with one email: one row of the send log (the spec's log line)."""

    concept: str
    theme: str
    locale: str
    recipient: str  # a keyed HMAC of the address, never the address
    provider: str
    outcome: str  # sent | skipped | blocked | dry_run | failed
    message_id: str = ""
    reason: str | None = None
    error_code: str | None = None
    attempts: int = 0
    duration_ms: float = 0.0
    test: bool = False
    missing: tuple[str, ...] = field(default=())  # settings a not-configured provider lacks


@dataclass(frozen=True)
class SendLogEntry:
    """A stored send-log row."""

    id: int
    created: str
    record: SendRecord

    def as_json(self) -> dict[str, object]:
        r = self.record
        return {
            "id": self.id,
            "created": self.created,
            "concept": r.concept,
            "theme": r.theme,
            "locale": r.locale,
            "recipient": r.recipient,
            "provider": r.provider,
            "message_id": r.message_id,
            "outcome": r.outcome,
            "reason": r.reason,
            "error_code": r.error_code,
            "attempts": r.attempts,
            "duration_ms": r.duration_ms,
            "test": r.test,
            "missing": list(r.missing),
        }
