"""The summary of a message `provider_mail.compose_message` writes, built from the parts it was
written from instead of parsed back out of the bytes.

Every SES and Resend send is composed by us and then summarised at ingest; parsing our own
output back (the part tree, the headers, the addresses, the date) is about a third of such a
request's CPU. For the plain forms most sends take, what the parser would find is known in
advance, and `composed_summary` builds exactly that `Summary`: the same addresses, subject,
snippet, search text, tags and date, byte for byte (tests/sandbox/capture/
test_provider_summary.py compares it with `summarize` on generated sends). Anything outside
those forms gives None, and the caller lets the store parse the bytes as it does for any mail:

- no attachments and no caller headers (an `X-Tags` or a second `Subject` would count);
- every address `local@domain` in plain ASCII, every display name plain ASCII words (letters,
  digits, a few punctuation marks, single spaces), at most `MAX_ADDRESSES` of each kind;
- the subject printable ASCII with no encoded-word opener and no space at either end (the
  header reader strips them), short enough not to be folded;
- the text and HTML bodies within the ingest limit (`INGEST_BODY`), so nothing is cut.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from mailyard.sandbox.capture.compose import Parts
from mailyard.sandbox.mail.addresses import MAX_ADDRESSES
from mailyard.sandbox.mail.summary import (
    INGEST_BODY,
    MAX_SEARCH_BODY,
    Address,
    Summary,
    body_texts,
    make_snippet,
    plus_tags,
)

# Bounded and anchored, no nested quantifiers: linear.
_ADDRESS = re.compile(r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){0,8}")
_NAME = re.compile(r"[A-Za-z0-9.,'&!_\-]{1,64}(?: [A-Za-z0-9.,'&!_\-]{1,64}){0,16}")
# The header reader strips the value: the subject must not start or end with a space.
_SUBJECT = re.compile(r"(?:[\x21-\x7e](?:[\x20-\x7e]{0,898}[\x21-\x7e])?)?")
MAX_LINE = 998  # provider_mail writes longer lines (and non-ASCII) quoted-printable


def composed_summary(
    parts: Parts, rcpt_to: Sequence[str], *, message_id: str, date: float
) -> Summary | None:
    """What `summarize(compose_message(parts, message_id=…, date=…), list(rcpt_to))` gives,
    or None when `parts` are not of the plain forms this module covers."""
    if parts.attachments or parts.headers:
        return None
    people = (parts.sender, *parts.to, *parts.cc, *parts.reply_to)
    if not all(_plain_person(name, address) for name, address in people):
        return None
    if max(len(parts.to), len(parts.cc), len(parts.reply_to)) > MAX_ADDRESSES:
        return None
    if "=?" in parts.subject or not _SUBJECT.fullmatch(parts.subject):
        return None
    text = _decoded(parts.text) if parts.text or not parts.html else ""
    html = _decoded(parts.html) if parts.html else ""
    if text is None or html is None:
        return None
    to = tuple(Address(name, address) for name, address in parts.to)
    cc = tuple(Address(name, address) for name, address in parts.cc)
    listed = {a.address.lower() for a in (*to, *cc)}
    bcc = tuple(Address("", r) for r in rcpt_to if r.lower() not in listed)
    body, searched = body_texts(text, html)
    tags = plus_tags([a.address for a in (*to, *cc)] + list(rcpt_to))
    return Summary(
        sender=Address(*parts.sender),
        to=to,
        cc=cc,
        bcc=bcc,
        reply_to=tuple(Address(name, address) for name, address in parts.reply_to),
        subject=parts.subject,
        snippet=make_snippet(body),
        message_id=message_id.strip().strip("<>")[:998],
        # The Date header has whole seconds, in GMT.
        date=datetime.fromtimestamp(int(date), UTC).isoformat(),
        attachments=0,
        tags=tuple(dict.fromkeys(tags)),
        body_text=searched[:MAX_SEARCH_BODY],
    )


def _plain_person(name: str, address: str) -> bool:
    return _ADDRESS.fullmatch(address) is not None and (
        not name or _NAME.fullmatch(name) is not None
    )


def _decoded(body: str) -> str | None:
    """The body as the reader decodes the 7bit part `provider_mail` writes for it (line ends
    as CRLF); None when it would be written quoted-printable or is past the ingest limit."""
    data = body.replace("\r\n", "\n").replace("\r", "\n")
    if len(data) > INGEST_BODY // 2 or not data.isascii():
        return None
    if any(len(line) > MAX_LINE for line in data.split("\n")):
        return None
    return data.replace("\n", "\r\n")
