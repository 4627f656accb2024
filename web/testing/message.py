"""A message a test received: what the long poll said about it at once, the rest on first use.

`wait_for` returns as soon as the message is committed, with its summary (subject, sender,
recipients, mailbox); the body, headers, links, codes and events are each one request, made
when first asked for (and kept, but for events, which keep happening).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mailyard.web.testing.client import MailyardClient
from mailyard.web.testing.errors import NoCodeError, NoLinkError
from mailyard.web.testing.matching import recipients


@dataclass(frozen=True)
class Link:
    """A link of a message, as mailyard ranks them: the action link (the one with the token)
    first, footer links (unsubscribe, privacy, social) last. `str(link)` is its URL."""

    url: str
    text: str = ""
    host: str = ""
    path: str = ""
    token: str = ""  # the part of the URL mailyard judged to be the secret, if any
    role: str = "link"  # "action", "link" or "footer"

    @classmethod
    def of(cls, found: Mapping[str, Any]) -> Link:
        return cls(
            url=str(found.get("url", "")),
            text=str(found.get("text", "")),
            host=str(found.get("host", "")),
            path=str(found.get("path", "")),
            token=str(found.get("token", "")),
            role=str(found.get("role", "link")),
        )

    def __str__(self) -> str:
        return self.url


@dataclass(frozen=True)
class Event:
    """One of the simulator's events about a message (send, delivery, bounce, open, ...);
    `payload` is the event in its provider's JSON (SES or Resend)."""

    kind: str
    recipients: tuple[str, ...]
    at: str
    provider: str = ""
    payload: Mapping[str, Any] | None = field(default=None, repr=False)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, found: Mapping[str, Any]) -> Event:
        payload = found.get("payload")
        return cls(
            kind=str(found.get("kind", "")),
            recipients=tuple(found.get("recipients") or ()),
            at=str(found.get("at", "")),
            provider=str(found.get("provider", "")),
            payload=payload if isinstance(payload, Mapping) else None,
            raw=dict(found),
        )


class Message:
    """One captured message. Properties that need the body fetch it once."""

    def __init__(self, client: MailyardClient, summary: Mapping[str, Any]) -> None:
        self._client = client
        self.summary: Mapping[str, Any] = dict(summary)
        self._full: dict[str, Any] | None = None
        self._headers: dict[str, list[str]] | None = None
        self._links: list[Link] | None = None

    @property
    def id(self) -> str:
        return str(self.summary["ID"])

    @property
    def subject(self) -> str:
        return str(self.summary.get("Subject") or "")

    @property
    def sender(self) -> str:
        """The From address."""
        return str((self.summary.get("From") or {}).get("Address", ""))

    @property
    def to(self) -> list[str]:
        """Every recipient: To, Cc and Bcc (the envelope's recipients no header names)."""
        return recipients(self.summary)

    @property
    def mailbox(self) -> str:
        return str(self.summary.get("Mailbox") or "")

    def _message(self) -> dict[str, Any]:
        if self._full is None:
            self._full = self._client.message(self.id)
        return self._full

    @property
    def html(self) -> str:
        """The HTML body ("" when the message has none)."""
        return str(self._message().get("HTML") or "")

    @property
    def text(self) -> str:
        """The plain-text body (for HTML-only mail, mailyard's text of the HTML, as Mailpit)."""
        return str(self._message().get("Text") or "")

    @property
    def headers(self) -> dict[str, list[str]]:
        """Every header: canonical name -> its values in order (Mailpit's shape)."""
        if self._headers is None:
            self._headers = self._client.headers(self.id)
        return self._headers

    def header(self, name: str) -> str | None:
        """The first value of a header, its name matched case-insensitively."""
        wanted = name.lower()
        for key, values in self.headers.items():
            if key.lower() == wanted and values:
                return values[0]
        return None

    def raw(self) -> bytes:
        """The message exactly as it was received."""
        return self._client.raw(self.id)

    def links(self) -> list[Link]:
        """Every link, the action link first (see `Link`)."""
        if self._links is None:
            self._links = [Link.of(found) for found in self._client.links(self.id)]
        return self._links

    def link(self, containing: str | None = None) -> str:
        """The URL of the first link (the action link, by mailyard's ranking) whose URL contains
        `containing`; without it, the first link. Fails listing the links there are."""
        __tracebackhide__ = True  # pytest shows the test's line, not the plugin's
        links = self.links()
        for link in links:
            if containing is None or containing in link.url:
                return link.url
        listed = "\n".join(f"  - {link.url}  ({link.role})" for link in links[:20]) or "  (none)"
        wanted = f"containing {containing!r}" if containing is not None else "at all"
        raise NoLinkError(f"{self!r} has no link {wanted}; its links:\n{listed}")

    def code(self) -> str:
        """The one-time code of the message (the likeliest, when it holds several)."""
        __tracebackhide__ = True
        codes = self._client.codes(self.id)
        if not codes:
            raise NoCodeError(f"{self!r} holds no one-time code; its text:\n{self.text[:500]}")
        return str(codes[0]["code"])

    def events(self) -> list[Event]:
        """The simulator's events about this message so far, oldest first (fetched anew)."""
        return [Event.of(found) for found in self._client.events(self.id)]

    def __repr__(self) -> str:
        return f"Message(id={self.id!r}, to={self.to!r}, subject={self.subject!r})"
