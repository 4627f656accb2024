"""Mailpit's release: `POST /api/v1/message/{ID}/release` sends a captured message on to the
configured SMTP relay (`--relay-host`, `--relay-port`, `--relay-user`, `--relay-tls`), as
Mailpit's `server/apiv1/release.go` does.

Every recipient must pass the recipient allowlist (`--allow-recipients`), the same one that
guards the mailer: a sandbox never mails an address nobody allowed. What is relayed is the
stored message with Mailpit's changes: no `Bcc` header, `Date` now, a new `Message-ID` (so the
relay does not take it for a duplicate); the envelope sender is the `Sender` address, else the
`From` address. Errors are Mailpit's texts (`Failed: 1 Address do not match the allowlist: ...`,
`SMTP error: ...`).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from email.utils import format_datetime, getaddresses, parseaddr

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from mailyard.sandbox import Allowlist
from mailyard.senders import Outgoing, SendError, SMTPRelay, SMTPSender
from mailyard.web.api.describe import (
    ID,
    TEXT_ERROR,
    TEXT_NOT_FOUND,
    fields,
    json_body,
    operation,
    strings,
    text_response,
)
from mailyard.web.api.lookup import find_raw, find_record
from mailyard.web.api.mime import raw_headers
from mailyard.web.api.params import known_fields, read_json, str_list
from mailyard.web.api.reading import off_loop
from mailyard.web.api.surface import VERBATIM
from mailyard.web.errors import RequestError
from mailyard.web.services import services
from mailyard.web.settings import Settings

MAX_HEADER_BLOCK = 1024 * 1024


def _fail(message: str, field: str = "To") -> RequestError:
    return RequestError(400, message, field, code=VERBATIM)


def _plural(count: int) -> str:
    return f"{count} {'Address' if count == 1 else 'Addresses'}"


def _address(value: str) -> str | None:
    """The address in `value` (`Name <a@b>` or `a@b`), or None when there is none."""
    _, address = parseaddr(value)
    local, at, domain = address.rpartition("@")
    return address if at and local and domain and " " not in address else None


def relayed(raw: bytes, date: str, message_id: str) -> bytes:
    """`raw` with no `Bcc` header, and `Date` and `Message-ID` set (replaced, or added first)."""
    for blank in (b"\r\n\r\n", b"\n\n"):
        end = raw.find(blank, 0, MAX_HEADER_BLOCK)
        if end >= 0:
            break
    else:
        end = len(raw)
    lines = [line.rstrip(b"\r") for line in raw[:end].split(b"\n")] if end else []
    fields: list[list[bytes]] = []
    for line in lines:
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1].append(line)
        else:
            fields.append([line])
    wanted = {b"date": date.encode(), b"message-id": message_id.encode()}
    kept: list[bytes] = []
    for field in fields:
        name = field[0].partition(b":")[0].strip().lower()
        if name == b"bcc":
            continue
        if name in wanted:
            value = wanted.pop(name)
            kept.append(field[0].partition(b":")[0] + b": " + value)
            continue
        kept.extend(field)
    added = [
        (b"Date" if name == b"date" else b"Message-ID") + b": " + value
        for name, value in wanted.items()
    ]
    return b"\r\n".join(added + kept) + raw[end:]


def _relay(settings: Settings) -> SMTPRelay:
    if not settings.relay_host:
        raise _fail("SMTP error: no relay is configured; start mailyard with --relay-host", "id")
    try:
        return SMTPRelay(
            host=settings.relay_host,
            port=settings.relay_port,
            username=settings.relay_user,
            password=settings.relay_password,
            tls=settings.relay_tls,
        )
    except ValueError as exc:
        raise _fail(f"SMTP error: {exc}", "id") from None


@operation(
    "Relay a captured message to the configured SMTP relay (Mailpit's release)",
    description="Each recipient must be allowed by --allow-recipients. The message goes "
    "without its Bcc header, with a new Date and Message-ID.",
    parameters=[ID],
    body=json_body(fields("To", To=strings()), True),
    responses={"200": text_response(), "400": TEXT_ERROR, "404": TEXT_NOT_FOUND},
    errors="mailpit",
)
async def release(request: Request) -> Response:
    svc = services(request)
    record = find_record(request, latest=False)
    recipients = str_list(known_fields(await read_json(request), "To"), "To") or []
    allowlist = Allowlist.parse(",".join(svc.settings.allow_recipients))
    refused = []
    addresses = []
    for to in recipients:
        address = _address(to)
        if address is None:
            raise _fail(f"Invalid email address: {to}")
        addresses.append(address)
        if not allowlist.allows(address):
            refused.append(to)
    if refused:
        raise _fail(
            f"Failed: {_plural(len(refused))} do not match the allowlist: {', '.join(refused)}"
        )
    if not addresses:
        raise _fail("No valid addresses found")
    if record.summary.sender is None or not record.summary.sender.address:
        raise _fail("No From header found", "id")
    date = format_datetime(datetime.fromtimestamp(svc.clock.now(), UTC))
    message_id = f"<{secrets.token_hex(11)}@mailyard>"

    def prepared() -> tuple[list[str], bytes]:
        raw = find_raw(request, record)
        headers = {name.lower(): value for name, value in reversed(raw_headers(raw))}
        senders = [a for _, a in getaddresses([headers.get("sender", "")]) if a]
        return senders, relayed(raw, date, message_id)

    senders, mime = await off_loop(record.summary.size, prepared)
    sender = senders[0] if senders else record.summary.sender.address
    outgoing = Outgoing(
        from_address=sender,
        from_name="",
        to=tuple(addresses),
        subject=record.summary.subject,
        text="",
        html="",
        mime=mime,
    )
    try:
        await SMTPSender(_relay(svc.settings), "relay").send(outgoing)
    except SendError as exc:
        raise _fail(f"SMTP error: {exc}", "id") from None
    return PlainTextResponse("ok")
