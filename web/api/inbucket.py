"""Inbucket's REST API (v1) over the same store, for suites written for Inbucket (Supabase's
local stack used it for years): mailboxes named after recipients, oldest message first.

From Inbucket's source (`pkg/rest/apiv1_controller.go`, `pkg/rest/model/apiv1_model.go`,
`pkg/policy/address.go`):

- A mailbox is a recipient's local part, lower-cased, cut at the first `+` (Inbucket's default
  `local` naming): mail to `Jane.Doe+promo@example.com` is in `jane.doe`, and the name in a path
  is read the same way. A message is in the mailbox of each of its envelope recipients.
- `GET /api/v1/mailbox/{name}`: `[{"mailbox", "id", "from", "to", "subject", "date",
  "posix-millis", "size", "seen"}]`, oldest first (`date` is when it was received);
  `GET .../{name}/{id}` adds `body` (`text`: the text part, or the HTML as text, links written
  `text ( url )` as Inbucket's converter writes them; `html`), `header` and `attachments`;
  `latest` is the newest. `PATCH .../{id}` with `{"seen": true}` marks it read; `DELETE` on a
  message or a mailbox answers `"OK"`; `.../{id}/source` is the message as received.

Where we differ: a name Inbucket refuses is a 400 (Inbucket answers 500). Inbucket keeps one
copy per recipient, this store one message, so deleting it from one mailbox deletes it from
every recipient's. `source` is the bytes as received (Inbucket prepends `Return-Path` and
`Received`), and attachment links point at mailyard's part route.
Bounded: a mailbox is looked for among the newest `MAX_SCAN` messages.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mailyard.sandbox import (
    MessageRecord,
    MessageSummary,
    NotFoundError,
    part_kinds,
)
from mailyard.web.api import shapes
from mailyard.web.api.describe import (
    ERROR,
    json_body,
    json_response,
    obj,
    operation,
    path,
    text_response,
)
from mailyard.web.api.htmltext import body_text
from mailyard.web.api.lookup import find_raw
from mailyard.web.api.mime import canonical_key, raw_headers
from mailyard.web.api.paging import STORE_PAGE
from mailyard.web.api.params import read_json
from mailyard.web.api.reading import Opened, off_loop, read_message
from mailyard.web.services import Services, services

MAX_SCAN = 10_000
_NAME_CHARS = re.compile(r"^[a-z0-9!#$%&'*+\-=/?^_`.{|}~]+$")
NAME = {
    **path("name", "Mailbox: a recipient's local part (lower case, before any +), or address"),
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9!#$%&'*+=?^_`.{|}~-]+(@[^@]*)?$"},
}
MESSAGE_ID = path("id", "The message's ID, or latest")
HEADER_ITEM = {"type": "object", "description": "Inbucket's message header"}
NOT_FOUND = text_response("404 page not found")
BAD_NAME = text_response("A mailbox name with characters Inbucket does not allow")


class BadName(Exception):
    """A mailbox name Inbucket refuses (it answers 500 with this text)."""


def mailbox_name(address: str) -> str:
    """Inbucket's `local` naming: the local part, lower-cased, up to the first `+`."""
    local = address.strip().strip("<>")
    if ":" in local and local.startswith("@"):  # a source route
        local = local.split(":", 1)[1]
    local = local.rpartition("@")[0] if "@" in local else local
    local = local.strip('"').lower()
    if not local or not _NAME_CHARS.match(local):
        raise BadName(f'mailbox name contained invalid character(s): "{local}"')
    return local.split("+", 1)[0]


def _in_mailbox(name: str, recipients: tuple[str, ...] | list[str]) -> bool:
    for recipient in recipients:
        try:
            if mailbox_name(recipient) == name:
                return True
        except BadName:
            continue
    return False


def _summary_recipients(m: MessageSummary) -> list[str]:
    return [a.address for a in (*m.to, *m.cc, *m.bcc)]


async def _mailbox(svc: Services, name: str) -> list[MessageRecord]:
    """The mailbox's messages, oldest first (among the newest `MAX_SCAN`)."""
    messages = svc.store.messages
    found: list[MessageRecord] = []
    seen, before = 0, None
    while seen < MAX_SCAN:
        page = messages.page(limit=STORE_PAGE, before=before)
        for summary in page.messages:
            # The summary's addresses hold every envelope recipient (the envelope-only ones as
            # Bcc): a cheap first look, then the envelope itself decides.
            if _in_mailbox(name, _summary_recipients(summary)):
                record = messages.get(summary.id)
                if _in_mailbox(name, record.envelope.rcpt_to):
                    found.append(record)
        seen += len(page.messages)
        if len(page.messages) < STORE_PAGE:
            break
        before = page.messages[-1].seq
        await asyncio.sleep(0)  # let SMTP and other requests in between store pages
    return found[::-1]


def _address(name: str, address: str) -> str:
    return f"{name} <{address}>" if name else f"<{address}>"


def header_item(name: str, record: MessageRecord) -> dict[str, Any]:
    m = record.summary
    created = datetime.fromisoformat(m.created)
    sender = _address(m.sender.name, m.sender.address) if m.sender else ""
    return {
        "mailbox": name,
        "id": m.id,
        "from": sender or f"<{record.envelope.mail_from}>",
        "to": [_address(a.name, a.address) for a in m.to] or list(record.envelope.rcpt_to),
        "subject": m.subject,
        "date": shapes.rfc3339(m.created) or m.created,
        "posix-millis": int(created.timestamp() * 1000),
        "size": m.size,
        "seen": m.read,
    }


def _json(value: Any, status: int = 200) -> Response:
    body = json.dumps(value, ensure_ascii=False) + "\n"
    return Response(
        body, status, media_type="application/json; charset=utf-8", headers={"Expires": "-1"}
    )


def _not_found() -> Response:
    return Response(
        "404 page not found\n",
        404,
        media_type="text/plain; charset=utf-8",
        headers={"X-Content-Type-Options": "nosniff"},
    )


def _name(request: Request) -> str | Response:
    try:
        return mailbox_name(request.path_params["name"])
    except BadName as exc:
        # Inbucket answers 500; a 400 says the same without claiming a server fault.
        return Response(f"{exc}\n", 400, media_type="text/plain; charset=utf-8")


async def _located(request: Request) -> MessageRecord | Response:
    """The message a `/mailbox/{name}/{id}` route names, or the answer Inbucket gives when the
    name is bad or the message is not in that mailbox."""
    name = _name(request)
    if isinstance(name, Response):
        return name
    record = await _find(request, name)
    return _not_found() if record is None else record


async def _find(request: Request, name: str) -> MessageRecord | None:
    svc = services(request)
    message_id = request.path_params["id"]
    if message_id == "latest":
        found = await _mailbox(svc, name)
        return found[-1] if found else None
    try:
        record = svc.store.messages.get(message_id)
    except NotFoundError:
        return None
    return record if _in_mailbox(name, record.envelope.rcpt_to) else None


@operation(
    "Inbucket: a mailbox's messages, oldest first",
    parameters=[NAME],
    responses={"200": json_response({"type": "array", "items": HEADER_ITEM}), "400": BAD_NAME},
)
async def list_mailbox(request: Request) -> Response:
    name = _name(request)
    if isinstance(name, Response):
        return name
    found = await _mailbox(services(request), name)
    return _json([header_item(name, record) for record in found])


@operation(
    "Inbucket: delete a mailbox's messages",
    parameters=[NAME],
    responses={"200": json_response({"type": "string"}), "400": BAD_NAME},
)
async def purge_mailbox(request: Request) -> Response:
    name = _name(request)
    if isinstance(name, Response):
        return name
    svc = services(request)
    found = await _mailbox(svc, name)
    if found:
        await svc.store.messages.delete([r.summary.id for r in found])
    return _json("OK")


def _attachments(request: Request, opened: Opened) -> list[dict[str, Any]]:
    """Inbucket's list: enmime's inline parts, then its attachments."""
    root, view, record = opened.root, opened.view, opened.record
    described = {p.part_id: p for p in (*view.inline, *view.attachments)}
    kinds = part_kinds(root)
    ordered = [
        pid
        for kind in ("inline", "attachment")
        for _, pid in sorted((pos, pid) for pid, (k, pos) in kinds.items() if kind in k)
    ]
    base = f"{request.url.scheme}://{request.headers.get('host', '')}"
    items = []
    for pid in ordered:
        part = described.get(pid)
        if part is None:
            continue
        link = f"{base}/api/v1/message/{record.summary.id}/part/{pid}"
        items.append(
            {
                "filename": part.filename,
                "content-type": part.content_type,
                "download-link": link,
                "view-link": link,
                "md5": part.md5,
            }
        )
    return items


@operation(
    "Inbucket: one message of a mailbox (latest: the newest)",
    parameters=[NAME, MESSAGE_ID],
    responses={"200": json_response(HEADER_ITEM), "400": BAD_NAME, "404": NOT_FOUND},
)
async def get_message(request: Request) -> Response:
    name = _name(request)
    if isinstance(name, Response):
        return name
    record = await _find(request, name)
    if record is None:
        return _not_found()

    def read(opened: Opened) -> tuple[dict[str, list[str]], list[dict[str, Any]]]:
        grouped: dict[str, list[str]] = {}
        for key, value in raw_headers(opened.raw):
            grouped.setdefault(canonical_key(key), []).append(value)
        grouped.setdefault("Return-Path", [f"<{record.envelope.mail_from}>"])
        return grouped, _attachments(request, opened)

    opened, (grouped, attachments) = await read_message(request, record, read)
    view = opened.view
    detail = {
        **header_item(name, record),
        "body": {"text": await body_text(request, view), "html": view.html},
        "header": grouped,
        "attachments": attachments,
    }
    return _json(detail)


@operation(
    'Inbucket: mark a message seen (`{"seen": true}`)',
    parameters=[NAME, MESSAGE_ID],
    body=json_body(obj(seen={"type": "boolean"})),
    responses={
        "200": json_response({"type": "string"}),
        "400": BAD_NAME,
        "404": NOT_FOUND,
        "415": ERROR,
    },
)
async def mark_seen(request: Request) -> Response:
    record = await _located(request)
    if isinstance(record, Response):
        return record
    body = await read_json(request, required=False)
    if body.get("seen") is True:
        await services(request).store.messages.set_read(True, [record.summary.id])
    return _json("OK")


@operation(
    "Inbucket: delete one message",
    parameters=[NAME, MESSAGE_ID],
    responses={"200": json_response({"type": "string"}), "400": BAD_NAME, "404": NOT_FOUND},
)
async def delete_message(request: Request) -> Response:
    record = await _located(request)
    if isinstance(record, Response):
        return record
    await services(request).store.messages.delete([record.summary.id])
    return _json("OK")


@operation(
    "Inbucket: the message's source, as received",
    parameters=[NAME, MESSAGE_ID],
    responses={
        "200": text_response("The message as received"),
        "400": BAD_NAME,
        "404": NOT_FOUND,
    },
)
async def source(request: Request) -> Response:
    record = await _located(request)
    if isinstance(record, Response):
        return record
    raw = await off_loop(record.summary.size, find_raw, request, record)
    return Response(raw, media_type="text/plain", headers={"X-Content-Type-Options": "nosniff"})
