"""Which messages a `wait_for` or `assert_no_mail` is about, said twice: as a mailyard search
query, so the server wakes the long poll only for likely matches, and as an exact check on the
message's summary, which decides.

The query only narrows: each of its terms is a necessary condition of the check (both are
case-insensitive substring tests on the same text), and a term that cannot be written exactly in
Mailpit's syntax (a subject with a `"`, an address with spaces) is left out rather than bent.
So the server may answer a message the check refuses (the caller then waits on after it), but
never withholds one the check would take.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

MAX_TERM = 1000  # characters of one term sent to the server (its whole query may be 4096)
TOKEN_BYTES = 6  # a test's token: 12 hex digits, in its addresses and its mailbox's name
MAILBOX_PREFIX = "pytest-"
_TOKEN_IN_ADDRESS = re.compile(r"\+([0-9a-f]{12})@", re.IGNORECASE)
_TOKEN_IN_MAILBOX = re.compile(re.escape(MAILBOX_PREFIX) + r"([0-9a-f]{12})", re.IGNORECASE)
_UNSAFE_ADDRESS = set(' \t\r\n<>",;()\ufeff\xa0')


def recipients(summary: Mapping[str, Any]) -> list[str]:
    """Every recipient of a summary: To, Cc and Bcc (where mailyard lists the envelope's
    recipients that no header names, as Mailpit does)."""
    return [
        str(a.get("Address", ""))
        for field in ("To", "Cc", "Bcc")
        for a in summary.get(field) or ()
        if isinstance(a, Mapping)
    ]


def another_tests(summary: Mapping[str, Any], token: str) -> bool:
    """True for mail that is plainly another test's: in another test's mailbox, or addressed
    only to other tests' addresses (`name+<their token>@...`). Such mail is never shown to, nor
    taken by, a test that did not say whose mail it wants; stray mail (to an address no test
    made) still is, since it is what a test that waits in vain needs to see."""
    mailbox = _TOKEN_IN_MAILBOX.fullmatch(str(summary.get("Mailbox") or ""))
    if mailbox:
        return mailbox.group(1).lower() != token
    tokens = [_TOKEN_IN_ADDRESS.search(r) for r in recipients(summary)]
    return bool(tokens) and all(t is not None and t.group(1).lower() != token for t in tokens)


@dataclass(frozen=True)
class Filter:
    """`to`: an address, matched whole (case-insensitively) against the recipients; `subject`:
    text the subject contains (case-insensitively); `mailbox`: the mailbox it landed in."""

    to: str | None = None
    subject: str | None = None
    mailbox: str | None = None

    @classmethod
    def of(cls, to: str | None, subject: str | None, mailbox: str | None) -> Filter:
        address = (parseaddr(to)[1] or to.strip()) if to else None
        return cls(address or None, subject or None, mailbox or None)

    def query(self) -> str:
        """The search query that narrows the server's candidates (may be empty)."""
        terms = []
        if self.to and len(self.to) <= MAX_TERM and not _UNSAFE_ADDRESS & set(self.to):
            terms.append(f"addressed:{self.to}")
        subject = self.subject
        if subject and subject.strip() and '"' not in subject and len(subject) <= MAX_TERM:
            terms.append(f'subject:"{self.subject}"')
        return " ".join(terms)

    def matches(self, summary: Mapping[str, Any]) -> bool:
        if self.mailbox is not None and summary.get("Mailbox") != self.mailbox:
            return False
        if self.to is not None:
            wanted = self.to.casefold()
            if not any(r.casefold() == wanted for r in recipients(summary)):
                return False
        if self.subject is not None:
            subject = str(summary.get("Subject") or "")
            if self.subject.casefold() not in subject.casefold():
                return False
        return True

    def describe(self) -> str:
        """In words, for failure messages: "mail to a@x with a subject containing 'Reset'"."""
        said = "mail"
        if self.to:
            said += f" to {self.to}"
        if self.subject:
            said += f" with a subject containing {self.subject!r}"
        if self.mailbox:
            said += f" in mailbox {self.mailbox!r}"
        return said


def describe_message(summary: Mapping[str, Any]) -> str:
    """One line about a message for a failure message: its recipients, subject and mailbox."""
    to = ", ".join(recipients(summary)) or "(no recipient)"
    subject = str(summary.get("Subject") or "")
    return f"to {to}: {subject!r} (mailbox {summary.get('Mailbox', '?')!s}, id {summary.get('ID')})"
