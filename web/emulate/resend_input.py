"""A Resend send object (`POST /emails`, one item of `/emails/batch`) checked the way Resend
checks it, and turned into the message's parts.

Each refusal names the field, in Resend's words where they are known (providers.md D2, D4):
`Missing \\`to\\` field.`, `Invalid \\`from\\` field. ...`. Attachments come as base64 text
(the Node SDK) or as a list of byte values (the Python SDK, `list(b"...")`). `@example.com`
recipients, which Resend refuses, are accepted: mailyard is where such mail should go.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from mailyard.sandbox import Attachment, Parts
from mailyard.web.emulate.addresses import parse_address
from mailyard.web.emulate.resend_wire import ResendError, missing, validation

MAX_RECIPIENTS = 50
ADDRESS_FORMAT = (
    "The email address needs to follow the `email@example.com` or `Name <email@example.com>` "
    "format."
)
_TAG = re.compile(r"[A-Za-z0-9_-]{1,256}")
_IN = re.compile(r"in (\d{1,6}) (minute|minutes|min|mins|hour|hours|day|days|second|seconds)")
_UNITS = {"min": 60, "mins": 60, "minute": 60, "minutes": 60, "hour": 3600, "hours": 3600}
_UNITS |= {"day": 86400, "days": 86400, "second": 1, "seconds": 1}


@dataclass(frozen=True)
class Email:
    """A checked send: the parts to build the message from, and what Resend shows of it."""

    parts: Parts
    sender: str  # `from` as given
    to: tuple[str, ...]
    cc: tuple[str, ...]
    bcc: tuple[str, ...]
    reply_to: tuple[str, ...]
    tags: tuple[tuple[str, str], ...]
    headers: tuple[tuple[str, str], ...]
    scheduled_at: float | None

    @property
    def recipients(self) -> tuple[str, ...]:
        found = (parse_address(a)[1] for a in (*self.to, *self.cc, *self.bcc))
        return tuple(dict.fromkeys(found))


def _person(value: str, field: str) -> tuple[str, str]:
    name, address = parse_address(value)
    local, at, domain = address.rpartition("@")
    if not at or not local or "." not in domain or " " in address or len(value) > 998:
        if field == "from":
            raise ResendError(
                422, "invalid_from_address", f"Invalid `from` field. {ADDRESS_FORMAT}"
            )
        raise validation(f"Invalid `{field}` field. {ADDRESS_FORMAT}")
    return name, address


def _addresses(body: dict[str, Any], field: str) -> tuple[str, ...]:
    value = body.get(field)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise validation(f"The `{field}` field must be a string or an array of strings.")
    for item in value:
        _person(item, field)
    return tuple(value)


def _text(body: dict[str, Any], field: str) -> str | None:
    value = body.get(field)
    if value is not None and not isinstance(value, str):
        raise validation(f"The `{field}` field must be a string.")
    return value


def _content(item: dict[str, Any], where: str) -> bytes:
    content = item.get("content")
    if isinstance(content, str):
        try:
            return base64.b64decode(content.rsplit(",", 1)[-1], validate=True)
        except (binascii.Error, ValueError):
            raise ResendError(
                422, "invalid_attachment", f"The `{where}.content` field is not valid base64."
            ) from None
    if isinstance(content, list) and all(isinstance(b, int) and 0 <= b <= 255 for b in content):
        return bytes(content)
    raise ResendError(
        422, "invalid_attachment", f"The `{where}.content` field must be base64 text or bytes."
    )


def _attachments(body: dict[str, Any]) -> tuple[Attachment, ...]:
    value = body.get("attachments") or []
    if not isinstance(value, list):
        raise validation("The `attachments` field must be an array.")
    found = []
    for index, item in enumerate(value):
        where = f"attachments[{index}]"
        if not isinstance(item, dict):
            raise validation(f"The `{where}` field must be an object.")
        if item.get("content") is None:
            if item.get("path"):
                raise ResendError(
                    422,
                    "invalid_attachment",
                    f"`{where}.path`: mailyard fetches nothing; send the file as `content`.",
                )
            raise ResendError(
                422, "invalid_attachment", "Attachment must have either a `content` or `path`."
            )
        filename = item.get("filename") or f"attachment-{index + 1}"
        content_id = item.get("content_id") or item.get("inline_content_id") or ""
        found.append(
            Attachment(
                filename=str(filename),
                content=_content(item, where),
                content_type=str(item.get("content_type") or ""),
                content_id=str(content_id),
            )
        )
    return tuple(found)


def _tags(body: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    value = body.get("tags") or []
    if not isinstance(value, list):
        raise validation("The `tags` field must be an array.")
    found = []
    for item in value:
        name = item.get("name") if isinstance(item, dict) else None
        tag = item.get("value", "") if isinstance(item, dict) else None
        if not isinstance(name, str) or not _TAG.fullmatch(name):
            raise validation(
                "Invalid `tags` field. A tag name may only contain ASCII letters, numbers, "
                "underscores or dashes, at most 256 characters."
            )
        if not isinstance(tag, str) or (tag and not _TAG.fullmatch(tag)):
            raise validation(
                "Invalid `tags` field. A tag value may only contain ASCII letters, numbers, "
                "underscores or dashes, at most 256 characters."
            )
        found.append((name, tag))
    return tuple(found)


def _headers(body: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    value = body.get("headers") or {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise validation("The `headers` field must be an object of strings.")
    return tuple((str(k), v) for k, v in value.items())


def scheduled_time(text: str, now: float) -> float:
    """`scheduled_at`: ISO 8601, or Resend's natural `in 1 min` / `in 2 hours`."""
    match = _IN.fullmatch(text.strip().lower())
    if match:
        return now + int(match.group(1)) * _UNITS[match.group(2)]
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise validation(
            "Invalid `scheduled_at` field. Use an ISO 8601 date, e.g. 2026-08-05T11:52:01.858Z, "
            "or a phrase such as `in 1 min`."
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def iso(at: float) -> str:
    """Resend's timestamps: `2023-04-03 22:13:42.674981+00`."""
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=at)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f") + "+00"


def check(body: Any, now: float, *, batch: bool = False) -> Email:
    """The send object checked; ResendError naming the first field at fault."""
    if not isinstance(body, dict):
        raise validation("Each email must be a JSON object.")
    sender = _text(body, "from")
    if not sender:
        raise missing("from")
    sender_name, sender_address = _person(sender, "from")
    to = _addresses(body, "to")
    if not to:
        raise missing("to")
    subject = _text(body, "subject")
    if subject is None:
        raise missing("subject")
    if body.get("template") is not None:
        raise validation("The `template` field: mailyard does not emulate Resend's templates.")
    html, text = _text(body, "html"), _text(body, "text")
    if html is None and text is None:
        raise ResendError(422, "missing_required_field", "Missing `html` or `text` field.")
    cc, bcc = _addresses(body, "cc"), _addresses(body, "bcc")
    reply_to = _addresses(body, "reply_to")
    if len(to) + len(cc) + len(bcc) > MAX_RECIPIENTS:
        raise validation(f"Too many recipients: at most {MAX_RECIPIENTS} in to, cc and bcc.")
    if batch and body.get("attachments"):
        raise validation("The `attachments` field is not supported in batch emails.")
    if batch and body.get("scheduled_at"):
        raise validation("The `scheduled_at` field is not supported in batch emails.")
    scheduled_text = _text(body, "scheduled_at")
    headers = _headers(body)
    parts = Parts(
        sender=(sender_name, sender_address),
        to=tuple(_person(a, "to") for a in to),
        cc=tuple(_person(a, "cc") for a in cc),
        reply_to=tuple(_person(a, "reply_to") for a in reply_to),
        subject=subject,
        text=text or "",
        html=html or "",
        headers=headers,
        attachments=_attachments(body),
    )
    return Email(
        parts=parts,
        sender=sender,
        to=to,
        cc=cc,
        bcc=bcc,
        reply_to=reply_to,
        tags=_tags(body),
        headers=headers,
        scheduled_at=scheduled_time(scheduled_text, now) if scheduled_text else None,
    )
