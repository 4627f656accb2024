"""What a sender delivers and what it returns, and the one-method protocol every sender follows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.utils import formataddr
from typing import Protocol


@dataclass(frozen=True)
class InlinePart:
    """An image the HTML shows as `cid:<content_id>`, sent beside it (RFC 2392): a logo that
    needs no fetching. Gmail shows no `data:` images, so API senders attach these instead."""

    content_id: str  # as the HTML writes it after `cid:`, without angle brackets
    filename: str
    content_type: str  # "image/png"
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class Outgoing:
    """A finished email, in the pieces each provider wants: parts for APIs, `mime` for SMTP.

    `html` refers to each of `inline` as `cid:`; `mime` already holds its own copies of them
    (a sender uses either the parts or `mime`, never both).
    """

    from_address: str
    from_name: str
    to: tuple[str, ...]
    subject: str
    text: str
    html: str
    mime: bytes  # the complete RFC 5322 message
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    reply_to: tuple[str, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()  # extra headers for API providers
    tags: tuple[tuple[str, str], ...] = ()  # provider tags (SES EmailTags, Resend tags)
    idempotency_key: str = ""  # one per logical send: a retry reuses it
    inline: tuple[InlinePart, ...] = ()  # images `html` shows through cid:

    @property
    def recipients(self) -> tuple[str, ...]:
        return self.to + self.cc + self.bcc

    @property
    def from_header(self) -> str:
        """`"Acme" <no-reply@x>`, RFC 2047-encoded when the name is not ASCII."""
        return formataddr((self.from_name, self.from_address), charset="utf-8")


@dataclass(frozen=True)
class Receipt:
    """A provider accepted the email."""

    provider: str
    message_id: str
    attempts: int = 1
    details: dict[str, str] = field(default_factory=dict)


class Sender(Protocol):
    """Delivers one email; raises SendError when it cannot."""

    name: str

    async def send(self, email: Outgoing) -> Receipt: ...


_TAG_CHARS = re.compile(r"[^A-Za-z0-9_-]")


def tag_value(value: str) -> str:
    """SES and Resend tags allow ASCII letters, digits, '_' and '-', at most 256 characters."""
    return _TAG_CHARS.sub("_", value)[:256] or "_"
