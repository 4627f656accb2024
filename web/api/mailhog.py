"""MailHog's API over the same store, for test suites written for MailHog (unmaintained since
2017) that never migrated: `cypress-mailhog`, the npm `mailhog` client.

Shapes and rules from MailHog's source (`mailhog/data` message.go, `MailHog-Server` api/v1.go
and v2.go, `storage/memory.go`):

- `GET /api/v2/messages?start=&limit=` and `GET /api/v2/search?kind=from|to|containing&query=`:
  `{"total", "count", "start", "items": [Message]}`, newest first, `limit` 50 by default and
  at most 250. A search matches its text case-insensitively: `to` against the envelope
  recipients and the `To` header, `from` against the envelope sender and the `From` header,
  `containing` against the (still encoded) body and every header value. A bad `kind` or an
  empty `query` is MailHog's 400 with no body.
- `GET /api/v1/messages/{id}` (one Message, or `null`), `DELETE /api/v1/messages/{id}`,
  `GET /api/v1/messages/{id}/download` (the raw message as `.eml`).
- `DELETE /api/v1/messages` is Mailpit's route as well; it answers MailHog's empty body to a
  client that sends no `Accept` header, as MailHog's npm client does (`web.api.messages`).

A `Message` is MailHog's: the envelope as `From`/`To` paths, `Content` with the header block
read as MailHog reads it (split at the first blank line; `Name: value` lines, the case of a name
kept, a repeated header keeping only its last value; folded lines appended as they are) plus the
`Message-ID`, `Received` and `Return-Path` MailHog adds, the body still transfer-encoded, `MIME`
with each part of a multipart body read the same way, and `Raw`. Where we differ, on purpose: a
message with bare LF line ends is read at LF too (MailHog shows it without headers), IDs are
mailyard's, and `download` gives the bytes as received (MailHog rebuilds them).

Bounded: MIME parts are read to `MAX_DEPTH` levels and `MAX_PARTS` parts; a search examines the
newest `MAX_SCAN` messages, yielding to the event loop between store pages.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mailyard.sandbox import MessageRecord, MessageSummary, NotFoundError
from mailyard.web.api import shapes
from mailyard.web.api.describe import json_response, operation, path, query, text_response
from mailyard.web.api.paging import STORE_PAGE
from mailyard.web.api.reading import off_loop
from mailyard.web.services import Services, services

MAX_LIMIT = 250
DEFAULT_LIMIT = 50
MAX_SCAN = 5000
MAX_DEPTH = 20
MAX_PARTS = 500
HOSTNAME = "mailyard"
KINDS = ("from", "to", "containing")
TEXT_JSON = "text/json"  # MailHog's content type for listings
MESSAGE = {"type": ["object", "null"], "description": "MailHog's Message"}
_LISTING = {
    "type": "object",
    "properties": {
        "total": {"type": "integer"},
        "count": {"type": "integer"},
        "start": {"type": "integer"},
        "items": {"type": "array", "items": MESSAGE},
    },
}


def _text_json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    """A response in MailHog's `text/json` (cypress-mailhog parses it as a string)."""
    return {"description": description, "content": {TEXT_JSON: {"schema": schema}}}


MAILHOG_ID = path("id", "The message's ID")


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def content(data: str, budget: list[int], depth: int = 0) -> dict[str, Any]:
    """MailHog's `ContentFromString`, and its `ParseMIMEBody` for a multipart part."""
    newline = "\r\n" if "\r\n\r\n" in data or "\n\n" not in data else "\n"
    head, sep, body = data.partition(newline * 2)
    headers: dict[str, list[str]] = {}
    if not sep:
        head, body = "", data
    last = ""
    for line in head.split(newline) if head else []:
        if last and line[:1] in (" ", "\t"):
            headers[last][-1] += line
        elif ": " in line:
            name, value = line.split(": ", 1)
            headers[name] = [value]
            last = name
    part: dict[str, Any] = {"Headers": headers, "Body": body, "Size": len(data), "MIME": None}
    if depth and _is_multipart(headers):
        part["MIME"] = mime_body(part, budget, depth)
    return part


def _is_multipart(headers: dict[str, list[str]]) -> bool:
    return bool(headers.get("Content-Type")) and headers["Content-Type"][0].startswith("multipart/")


def _boundary(content_type: str) -> str:
    _, found, rest = content_type.partition("boundary=")
    return rest.split(";", 1)[0].strip().strip('"') if found else ""


def mime_body(part: dict[str, Any], budget: list[int], depth: int) -> dict[str, Any] | None:
    """MailHog's `ParseMIMEBody`: the body split at `--boundary`, each non-empty piece a part."""
    if depth >= MAX_DEPTH:
        return None
    boundary = _boundary(part["Headers"]["Content-Type"][0])
    parts = []
    for piece in part["Body"].split("--" + boundary) if boundary else []:
        if not piece or budget[0] <= 0:
            continue
        budget[0] -= 1
        parts.append(content(piece.strip("\r\n"), budget, depth + 1))
    return {"Parts": parts}


def _path(address: str) -> dict[str, Any]:
    """MailHog's `PathFromString`: `@relay,@relay:user@host` -> relays, mailbox, domain."""
    relays = None
    if ":" in address and address.startswith("@"):
        route, address = address.split(":", 1)
        relays = route.split(",")
    mailbox, _, domain = address.partition("@")
    return {"Relays": relays, "Mailbox": mailbox, "Domain": domain, "Params": ""}


def message(record: MessageRecord, raw: bytes) -> dict[str, Any]:
    """One stored message in MailHog's `Message` shape."""
    envelope, summary = record.envelope, record.summary
    data = _text(raw)
    budget = [MAX_PARTS]
    top = content(data, budget)
    headers = top["Headers"]
    if not any(name.lower() == "message-id" for name in headers):
        headers["Message-ID"] = [summary.id]
    created = datetime.fromisoformat(summary.created)
    received = (
        f"from {envelope.helo or 'unknown'} by {HOSTNAME} (MailHog)\r\n"
        f"          id {summary.id}; {format_datetime(created.astimezone(UTC))}"
    )
    for name, value in (("Received", received), ("Return-Path", f"<{envelope.mail_from}>")):
        key = next((k for k in headers if k.lower() == name.lower()), name)
        headers.setdefault(key, []).append(value)
    return {
        "ID": summary.id,
        "From": _path(envelope.mail_from),
        "To": [_path(r) for r in envelope.rcpt_to] or None,
        "Content": top,
        "Created": shapes.rfc3339(summary.created) or summary.created,
        "MIME": mime_body(top, budget, 1) if _is_multipart(headers) else None,
        "Raw": {
            "From": envelope.mail_from,
            "To": list(envelope.rcpt_to),
            "Data": data,
            "Helo": envelope.helo,
        },
    }


def _load(svc: Services, message_id: str) -> tuple[MessageRecord, bytes] | None:
    messages = svc.store.messages
    try:
        record = messages.get(message_id)
        return record, messages.raw(record.summary.seq)
    except NotFoundError:
        return None


def _size(svc: Services, message_id: str) -> int:
    """The stored message's size (0 when there is none): whether to read it off the loop."""
    try:
        return svc.store.messages.get(message_id).summary.size
    except NotFoundError:
        return 0


def _paging(request: Request) -> tuple[int, int]:
    def number(name: str) -> int:
        text = request.query_params.get(name, "")
        return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else 0

    start, limit = number("start"), number("limit")
    return start, min(limit, MAX_LIMIT) if limit > 0 else DEFAULT_LIMIT


def _json(value: Any, media_type: str = "application/json") -> Response:
    return Response(json.dumps(value, ensure_ascii=False), media_type=media_type)


@operation(
    "MailHog: list messages, newest first (MailHog's API v2)",
    parameters=[query("start", "Offset"), query("limit", "At most 250, default 50")],
    responses={"200": _text_json(_LISTING)},
)
async def list_v2(request: Request) -> Response:
    svc = services(request)
    start, limit = _paging(request)
    page = svc.store.messages.page(start=start, limit=limit)

    def listing() -> Response:
        items = [message(*found) for m in page.messages if (found := _load(svc, m.id))]
        listed = {"total": page.total, "count": len(items), "start": start, "items": items}
        return _json(listed, TEXT_JSON)

    return await off_loop(sum(m.size for m in page.messages), listing)


def _matches(kind: str, needle: str, record: MessageRecord, raw: bytes) -> bool:
    """MailHog's search rule for one message (its header block and body, as MailHog reads
    them; no MIME parts are needed)."""
    top = content(_text(raw), [0])
    headers: dict[str, list[str]] = top["Headers"]
    envelope = record.envelope
    if kind == "containing":
        values = [top["Body"], *(v for vs in headers.values() for v in vs)]
    elif kind == "to":
        values = [*envelope.rcpt_to, *headers.get("To", [])]
    else:
        values = [envelope.mail_from, *headers.get("From", [])]
    return any(needle in value.lower() for value in values)


async def _search(
    svc: Services, kind: str, needle: str, start: int, limit: int
) -> tuple[int, list[dict[str, Any]]]:
    """How many of the newest `MAX_SCAN` messages match, and the page `start:start+limit` of
    them as MailHog Messages (only those are built)."""
    messages = svc.store.messages
    items: list[dict[str, Any]] = []
    before: int | None = None
    total = seen = 0

    def scan(summaries: list[MessageSummary], total: int) -> int:
        """`total` plus the matches among `summaries`; those in the page go to `items`."""
        for summary in summaries:
            loaded = _load(svc, summary.id)
            if loaded is not None and _matches(kind, needle, *loaded):
                if start <= total < start + limit:
                    items.append(message(*loaded))
                total += 1
        return total

    while seen < MAX_SCAN:
        page = messages.page(limit=min(STORE_PAGE, MAX_SCAN - seen), before=before)
        total = await off_loop(sum(m.size for m in page.messages), scan, page.messages, total)
        seen += len(page.messages)
        if len(page.messages) < STORE_PAGE or not page.messages:
            break
        before = page.messages[-1].seq
        await asyncio.sleep(0)  # let SMTP and other requests in between store pages
    return total, items


@operation(
    "MailHog: search (kind from, to or containing), newest first",
    parameters=[
        query("kind", "from, to or containing", {"enum": list(KINDS)}, required=True),
        query("query", "Text to find (case-insensitive)", {"type": "string", "minLength": 1}, True),
        query("start", "Offset"),
        query("limit", "At most 250, default 50"),
    ],
    responses={"200": json_response(_LISTING), "400": {"description": "A bad kind or no query"}},
)
async def search_v2(request: Request) -> Response:
    kind = request.query_params.get("kind", "")
    needle = request.query_params.get("query", "").lower()
    if kind not in KINDS or not needle:
        return Response(b"", status_code=400)
    start, limit = _paging(request)
    total, items = await _search(services(request), kind, needle, start, limit)
    total = total if start <= total else 0  # MailHog's count past the end
    found = {"total": total, "count": len(items), "start": start, "items": items}
    return await off_loop(sum(len(item["Raw"]["Data"]) for item in items), _json, found)


@operation(
    "MailHog: one message (null when there is none)",
    parameters=[MAILHOG_ID],
    responses={"200": _text_json(MESSAGE)},
)
async def get_v1(request: Request) -> Response:
    svc = services(request)
    size = _size(svc, request.path_params["id"])

    def found() -> Response:
        loaded = _load(svc, request.path_params["id"])
        return _json(message(*loaded) if loaded else None, TEXT_JSON)

    return await off_loop(size, found)


@operation(
    "MailHog: delete one message",
    parameters=[MAILHOG_ID],
    responses={"200": text_response("Empty"), "404": text_response("No such message")},
)
async def delete_v1(request: Request) -> Response:
    svc = services(request)
    message_id = request.path_params["id"]
    # MailHog answers an empty `text/json`; an empty body is no JSON, so it is plain text here.
    if svc.store.messages.seq_of(message_id) is None:
        return Response(b"", status_code=404, media_type="text/plain")
    await svc.store.messages.delete([message_id])
    return Response(b"", media_type="text/plain")


@operation(
    "MailHog: download the message as received (.eml)",
    parameters=[MAILHOG_ID],
    responses={
        "200": {"description": "The message", "content": {"message/rfc822": {}}},
        "404": text_response("No such message"),
    },
)
async def download_v1(request: Request) -> Response:
    svc = services(request)
    message_id = request.path_params["id"]
    loaded = await off_loop(_size(svc, message_id), _load, svc, message_id)
    if loaded is None:
        return Response(b"", status_code=404, media_type="text/plain")
    record, raw = loaded
    return Response(
        raw,
        media_type="message/rfc822",
        headers={
            "Content-Disposition": f'attachment; filename="{record.summary.id}.eml"',
            "X-Content-Type-Options": "nosniff",
        },
    )
