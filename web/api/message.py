"""Routes over one message: summary, headers, raw source, parts, links and codes."""

from __future__ import annotations

import re
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mailyard.sandbox import (
    MessageRecord,
    MessageView,
    extract_codes,
    extract_links,
    message_part,
    view_message,
)
from mailyard.web.api import shapes
from mailyard.web.api.describe import (
    ID,
    MAILBOX,
    NOT_FOUND,
    found_in_message,
    json_response,
    operation,
    path,
    query,
    text_response,
)
from mailyard.web.api.params import str_param
from mailyard.web.api.schemas import ref
from mailyard.web.middleware.guard import same_site_or_direct
from mailyard.web.services import services

_SAFE_FILENAME = re.compile(r"[^A-Za-z0-9._ -]+")


def content_disposition(name: str, fallback: str) -> str:
    """`attachment` with an ASCII-safe filename and the full name as RFC 8187 `filename*`."""
    plain = safe_filename(name, fallback)
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    readable = "".join(c for c in base if c.isprintable() and c not in '"\r\n').strip(" .")[:150]
    if readable and readable != plain:
        return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(readable, safe='')}"
    return f'attachment; filename="{plain}"'


def safe_filename(name: str, fallback: str) -> str:
    cleaned = _SAFE_FILENAME.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")
    return cleaned[:150] or fallback


def _record(request: Request) -> MessageRecord:
    return services(request).store.messages.get(
        request.path_params["id"], str_param(request, "mailbox")
    )


def _raw(request: Request, record: MessageRecord) -> bytes:
    return services(request).store.messages.raw(record.summary.seq)


def _view(request: Request) -> tuple[MessageRecord, MessageView]:
    record = _record(request)
    return record, view_message(_raw(request, record))


@operation(
    "Get a message (marks it read)",
    parameters=[ID, MAILBOX],
    responses={"200": json_response(ref("Message")), "404": NOT_FOUND},
)
async def get_message(request: Request) -> Response:
    record, view = _view(request)
    # Mailpit marks a message read when it is opened; a page of another site may not.
    if not record.summary.read and same_site_or_direct(request.headers):
        await services(request).store.messages.set_read(True, [record.summary.id])
    return JSONResponse(shapes.message(record, view))


@operation(
    "Message headers: name -> values, names sorted",
    parameters=[ID, MAILBOX],
    responses={
        "200": json_response(
            {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            }
        ),
        "404": NOT_FOUND,
    },
)
async def get_headers(request: Request) -> Response:
    _, view = _view(request)
    return JSONResponse(shapes.headers(view))


@operation(
    "The message exactly as received",
    parameters=[ID, MAILBOX, query("dl", "Download as .eml")],
    responses={"200": text_response("The raw message"), "404": NOT_FOUND},
)
async def get_raw(request: Request) -> Response:
    record = _record(request)
    headers = {"X-Content-Type-Options": "nosniff"}
    if request.query_params.get("dl"):
        headers["Content-Disposition"] = f'attachment; filename="{record.summary.id}.eml"'
    return Response(_raw(request, record), media_type="text/plain; charset=utf-8", headers=headers)


@operation(
    "One attachment or inline part, decoded",
    parameters=[ID, path("part", "PartID from the message's Attachments or Inline"), MAILBOX],
    responses={
        "200": {"description": "The part, with its content type, as an attachment"},
        "404": NOT_FOUND,
    },
)
async def get_part(request: Request) -> Response:
    record = _record(request)
    info, data = message_part(_raw(request, record), request.path_params["part"])
    return Response(
        data,
        media_type=info.content_type if "/" in info.content_type else "application/octet-stream",
        headers={
            "Content-Disposition": content_disposition(info.filename, f"part-{info.part_id}"),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
        },
    )


@found_in_message(
    "mailyard: every link, with its text, query and token parameters", "links", "Link"
)
async def get_links(request: Request) -> Response:
    record, view = _view(request)
    links = extract_links(view.text, view.html)
    return JSONResponse({"ID": record.summary.id, "links": [link.as_json() for link in links]})


@found_in_message(
    "mailyard: one-time codes in the subject and body, most likely first", "codes", "Code"
)
async def get_codes(request: Request) -> Response:
    record, view = _view(request)
    codes = extract_codes(record.summary.subject, view.text, view.html)
    return JSONResponse({"ID": record.summary.id, "codes": [c.as_json() for c in codes]})
