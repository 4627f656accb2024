"""Routes over one message: summary, headers, raw source, parts, links and codes."""

from __future__ import annotations

import re
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mailyard.sandbox import (
    Code,
    Link,
    MessageRecord,
    Part,
    extract_codes,
    extract_links,
    message_part,
)
from mailyard.web.api import shapes
from mailyard.web.api.describe import (
    ID,
    LATEST_QUERY,
    MAILBOX,
    TEXT_ERROR,
    TEXT_NOT_FOUND,
    found_in_message,
    json_response,
    operation,
    path,
    query,
    text_response,
)
from mailyard.web.api.htmltext import body_text
from mailyard.web.api.lookup import find_raw, find_record
from mailyard.web.api.mime import mailpit_headers, mailpit_parts
from mailyard.web.api.reading import BodiesJSONResponse, Opened, off_loop, read_message
from mailyard.web.api.schemas import ref
from mailyard.web.middleware.guard import same_site_or_direct
from mailyard.web.services import services

_SAFE_FILENAME = re.compile(r"[^A-Za-z0-9._ -]+")
PART = path("part", "PartID from the message's Attachments or Inline")


def content_disposition(name: str, fallback: str, kind: str = "attachment") -> str:
    """`kind` with an ASCII-safe filename and the full name as RFC 8187 `filename*`."""
    plain = safe_filename(name, fallback)
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    readable = "".join(c for c in base if c.isprintable() and c not in '"\r\n').strip(" .")[:150]
    if readable and readable != plain:
        return f"{kind}; filename=\"{plain}\"; filename*=UTF-8''{quote(readable, safe='')}"
    return f'{kind}; filename="{plain}"'


def safe_filename(name: str, fallback: str) -> str:
    cleaned = _SAFE_FILENAME.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")
    return cleaned[:150] or fallback


async def mark_read(request: Request, record: MessageRecord) -> None:
    """Mailpit marks a message read when it is opened; a page of another site may not."""
    if not record.summary.read and same_site_or_direct(request.headers):
        await services(request).store.messages.set_read(True, [record.summary.id])


@operation(
    "Get a message (marks it read)",
    description="The ID may be `latest`: the newest message, or with `query` the newest match.",
    parameters=[ID, LATEST_QUERY, MAILBOX],
    responses={"200": json_response(ref("Message")), "400": TEXT_ERROR, "404": TEXT_NOT_FOUND},
    errors="mailpit",
)
async def get_message(request: Request) -> Response:
    record = find_record(request)
    opened, (inline, attachments) = await read_message(
        request, record, lambda o: mailpit_parts(o.root, o.view)
    )
    await mark_read(request, record)
    body = shapes.message(
        record,
        opened.view,
        text=await body_text(request, opened.view),
        inline=inline,
        attachments=attachments,
    )
    size = len(opened.view.html) + len(opened.view.text)
    return await off_loop(size, BodiesJSONResponse, body)


@operation(
    "Message headers as Mailpit gives them: canonical names, raw values, names sorted",
    parameters=[ID, LATEST_QUERY, MAILBOX],
    responses={
        "200": json_response(
            {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            }
        ),
        "400": TEXT_ERROR,
        "404": TEXT_NOT_FOUND,
    },
    errors="mailpit",
)
async def get_headers(request: Request) -> Response:
    record = find_record(request)

    def headers() -> dict[str, list[str]]:
        raw = find_raw(request, record)
        return mailpit_headers(raw, record, shapes.message_id(record.summary))

    return JSONResponse(await off_loop(record.summary.size, headers))


@operation(
    "The message exactly as received",
    parameters=[ID, LATEST_QUERY, MAILBOX, query("dl", "Download as .eml")],
    responses={
        "200": text_response("The raw message"),
        "400": TEXT_ERROR,
        "404": TEXT_NOT_FOUND,
    },
    errors="mailpit",
)
async def get_raw(request: Request) -> Response:
    record = find_record(request)
    headers = {"X-Content-Type-Options": "nosniff"}
    if request.query_params.get("dl"):
        headers["Content-Disposition"] = f'attachment; filename="{record.summary.id}.eml"'
    return Response(
        find_raw(request, record), media_type="text/plain; charset=utf-8", headers=headers
    )


@operation(
    "One attachment or inline part, decoded",
    parameters=[ID, PART, LATEST_QUERY, MAILBOX],
    responses={
        "200": {
            "description": "The part, with its content type",
            "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
        },
        "400": TEXT_ERROR,
        "404": TEXT_NOT_FOUND,
    },
    errors="mailpit",
)
async def get_part(request: Request) -> Response:
    record = find_record(request)

    def part() -> tuple[Part, bytes]:
        return message_part(find_raw(request, record), request.path_params["part"])

    info, data = await off_loop(record.summary.size, part)
    name = info.filename or info.content_id
    return Response(
        data,
        media_type=info.content_type if "/" in info.content_type else "application/octet-stream",
        headers={
            # Mailpit says `inline`; a captured file is never shown as a page of ours.
            "Content-Disposition": content_disposition(name, f"part-{info.part_id}"),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
        },
    )


@found_in_message(
    "mailyard: every link, with its text, query and token parameters", "links", "Link"
)
async def get_links(request: Request) -> Response:
    record = find_record(request, mailpit=False)
    _, links = await read_message(request, record, _links)
    return JSONResponse({"ID": record.summary.id, "links": [link.as_json() for link in links]})


@found_in_message(
    "mailyard: one-time codes in the subject and body, most likely first", "codes", "Code"
)
async def get_codes(request: Request) -> Response:
    record = find_record(request, mailpit=False)
    _, codes = await read_message(request, record, _codes)
    return JSONResponse({"ID": record.summary.id, "codes": [c.as_json() for c in codes]})


def _links(opened: Opened) -> list[Link]:
    return extract_links(opened.view.text, opened.view.html)


def _codes(opened: Opened) -> list[Code]:
    return extract_codes(opened.record.summary.subject, opened.view.text, opened.view.html)
