"""The message an SES event is about, and its `mail` object as SES writes it (providers.md C2).

`SESMail` holds what SES knew when it accepted the message: its ids, the caller, the envelope,
the original headers and the configuration set. `mail_object` turns it into the JSON object every
event carries, in either flavour:

- **event publishing** (a configuration set): `timestamp, source, sourceArn, sendingAccountId,
  messageId, destination, headersTruncated, headers, commonHeaders, tags`; the caller's IP and
  identity are tags (`ses:source-ip`, `ses:caller-identity`), every tag value is an array.
- **feedback notifications** (identity level): `sourceIp` and `callerIdentity` are fields, there
  are no tags, and the headers appear only when "include original headers" is on.

SES ids are `<4 hex><12 hex: milliseconds since the epoch>-<uuid>-000000` (the observed ids'
middle part decodes to their `mail.timestamp` to the millisecond); `ses_message_id` and
`feedback_id` build them from the event time and an injected `random.Random`.
"""

from __future__ import annotations

import random
import re
import uuid
from dataclasses import dataclass, field
from email.utils import getaddresses, parseaddr

from mailyard.sandbox.simulate.stamps import epoch_ms, iso_ms

HEADERS_LIMIT = 10 * 1024  # SES: "headersTruncated ... if the headers are larger than 10 KB"
_PARSE_CAP = 10 * 1024  # no single header value is parsed beyond this (bounded work)

_SES_ID = re.compile(r"[0-9a-f]{16}-[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}-[0-9]{6}")

Json = dict[str, object]


def ses_message_id(at: float, rng: random.Random, prefix: str = "0100") -> str:
    """An SES MessageId for a message accepted at `at` (`0100` is the prefix seen in us-east-1)."""
    return f"{prefix}{epoch_ms(at):012x}-{uuid.UUID(int=rng.getrandbits(128), version=4)}-000000"


def feedback_id(message_id: str, at: float, rng: random.Random) -> str:
    """A bounce's or complaint's `feedbackId`: the message id's shape, stamped with `at`."""
    prefix = message_id[:4] if _SES_ID.fullmatch(message_id) else "0100"
    return ses_message_id(at, rng, prefix)


@dataclass(frozen=True)
class CommonHeaders:
    """SES's `commonHeaders`: the usual headers, addresses as `Name <addr>` without quotes."""

    from_: tuple[str, ...] = ()
    reply_to: tuple[str, ...] = ()
    date: str | None = None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    message_id: str | None = None
    subject: str | None = None
    return_path: str | None = None

    @classmethod
    def from_headers(
        cls, headers: tuple[tuple[str, str], ...], message_id: str | None = None
    ) -> CommonHeaders:
        """Read them from the original headers; `message_id` if the message had no Message-ID
        (SES then uses its own id, as in every documented example)."""
        first: dict[str, str] = {}
        for name, value in headers:
            first.setdefault(name.lower(), value[:_PARSE_CAP])

        def addresses(key: str) -> tuple[str, ...]:
            value = first.get(key)
            if value is None:
                return ()
            return tuple(_address(n, a) for n, a in getaddresses([value]) if a)

        own_id = first.get("message-id")
        return_path = first.get("return-path")
        return cls(
            from_=addresses("from"),
            reply_to=addresses("reply-to"),
            date=first.get("date"),
            to=addresses("to"),
            cc=addresses("cc"),
            bcc=addresses("bcc"),
            message_id=own_id.strip() if own_id is not None else message_id,
            subject=first.get("subject"),
            return_path=parseaddr(return_path)[1] if return_path is not None else None,
        )

    def as_json(self) -> Json:
        pairs: list[tuple[str, object]] = [
            ("from", list(self.from_)),
            ("replyTo", list(self.reply_to)),
            ("date", self.date),
            ("to", list(self.to)),
            ("cc", list(self.cc)),
            ("bcc", list(self.bcc)),
            ("messageId", self.message_id),
            ("subject", self.subject),
            ("returnPath", self.return_path),
        ]
        return {key: value for key, value in pairs if value not in (None, [])}


def _address(name: str, addr: str) -> str:
    return f"{name} <{addr}>" if name else addr


@dataclass(frozen=True)
class SESMail:
    """What SES knew of one accepted message; the input of every SES event builder.

    `accepted` is the clock's time when SES accepted it (`mail.timestamp`). `tags` are the
    caller's EmailTags in order (a name may repeat: SES gathers its values into one array).
    `operation` and `outgoing_ip` fill the `ses:operation` / `ses:outgoing-ip` tags when given
    (the latter on Delivery events only, as documented). `include_headers` is the identity's
    "include original headers" switch, read by feedback notifications only.
    """

    message_id: str
    accepted: float
    source: str
    source_arn: str
    sending_account_id: str
    destination: tuple[str, ...]
    headers: tuple[tuple[str, str], ...] = ()
    common_headers: CommonHeaders = field(default_factory=CommonHeaders)
    configuration_set: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    caller_identity: str | None = None
    source_ip: str | None = None
    from_domain: str | None = None
    operation: str | None = None
    outgoing_ip: str | None = None
    include_headers: bool = True

    @property
    def sender_domain(self) -> str:
        """`ses:from-domain`: given, or the domain of `source`."""
        if self.from_domain is not None:
            return self.from_domain
        return parseaddr(self.source)[1].rpartition("@")[2]


def truncated_headers(headers: tuple[tuple[str, str], ...]) -> tuple[list[Json], bool]:
    """The headers SES lists, and whether it cut them: whole headers are kept, in order, while
    they fit in 10 KB counted as `Name: value\\r\\n` lines (SES does not say how it counts)."""
    kept: list[Json] = []
    size = 0
    for name, value in headers:
        size += len(name.encode()) + len(value.encode()) + 4
        if size > HEADERS_LIMIT:
            return kept, True
        kept.append({"name": name, "value": value})
    return kept, False


def event_tags(mail: SESMail, *, delivered: bool) -> dict[str, list[str]]:
    """`mail.tags` of event publishing: SES's own `ses:` tags first, then the caller's."""
    own = [
        ("ses:configuration-set", mail.configuration_set),
        ("ses:source-ip", mail.source_ip),
        ("ses:from-domain", mail.sender_domain or None),
        ("ses:caller-identity", mail.caller_identity),
        ("ses:outgoing-ip", mail.outgoing_ip if delivered else None),
        ("ses:operation", mail.operation),
    ]
    tags: dict[str, list[str]] = {name: [value] for name, value in own if value is not None}
    for name, value in mail.tags:
        tags.setdefault(name, []).append(value)
    return tags


def mail_object(
    mail: SESMail, *, publishing: bool, with_headers: bool = True, delivered: bool = False
) -> Json:
    """The `mail` object. `publishing` picks the flavour; `with_headers=False` drops the header
    fields (Rendering Failure events carry none); `delivered` adds `ses:outgoing-ip`."""
    out: Json = {"timestamp": iso_ms(mail.accepted), "source": mail.source}
    out["sourceArn"] = mail.source_arn
    if not publishing:
        if mail.source_ip is not None:
            out["sourceIp"] = mail.source_ip
        if mail.caller_identity is not None:
            out["callerIdentity"] = mail.caller_identity
    out["sendingAccountId"] = mail.sending_account_id
    out["messageId"] = mail.message_id
    out["destination"] = list(mail.destination)
    if publishing or mail.include_headers:
        headers, cut = truncated_headers(mail.headers)
        out["headersTruncated"] = cut
        if with_headers:
            out["headers"] = headers
            out["commonHeaders"] = mail.common_headers.as_json()
    if publishing:
        out["tags"] = event_tags(mail, delivered=delivered)
    return out
