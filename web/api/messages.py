"""Routes over many messages: list, search, delete, read status, and waiting for new mail."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from mailyard.web.api import shapes
from mailyard.web.api.describe import (
    ERROR,
    IDS_BODY,
    MAILBOX,
    PAGING,
    SEARCH_HELP,
    TZ,
    fields,
    json_body,
    json_response,
    obj,
    operation,
    query,
    strings,
    text_response,
)
from mailyard.web.api.params import (
    cursor_param,
    float_param,
    int_param,
    known_fields,
    read_ids,
    read_json,
    str_list,
    str_param,
)
from mailyard.web.api.schemas import ref
from mailyard.web.errors import RequestError
from mailyard.web.services import Services, services

MAX_WAIT = 300.0
DEFAULT_WAIT = 30.0


def _page(request: Request, query_text: str | None) -> Response:
    svc = services(request)
    mailbox = str_param(request, "mailbox")
    page = svc.store.messages.page(
        mailbox=mailbox,
        start=int_param(request, "start", 0),
        limit=int_param(request, "limit", 50, low=1, high=1000),
        query=query_text,
        tz=str_param(request, "tz"),
    )
    return JSONResponse(shapes.page(page, svc.store.tags.all(mailbox)))


@operation(
    "List messages, newest first",
    parameters=[*PAGING, MAILBOX],
    responses={"200": json_response(ref("MessagesSummary")), "400": ERROR},
)
async def list_messages(request: Request) -> Response:
    return _page(request, None)


@operation(
    "Search messages",
    description=SEARCH_HELP,
    parameters=[query("query", "Search query", required=True), *PAGING, MAILBOX, TZ],
    responses={"200": json_response(ref("MessagesSummary")), "400": ERROR},
)
async def search(request: Request) -> Response:
    text = request.query_params.get("query")
    if text is None:
        raise RequestError(400, "query is required", "query")
    return _page(request, text)


@operation(
    "Delete the given messages, or all (of the mailbox) without IDs",
    parameters=[MAILBOX],
    body=json_body(IDS_BODY),
    responses={"200": text_response(), "400": ERROR},
)
async def delete_messages(request: Request) -> Response:
    ids = await read_ids(request)
    await services(request).store.messages.delete(ids or None, str_param(request, "mailbox"))
    return PlainTextResponse("ok")


@operation(
    "Delete every message matching a search",
    description=SEARCH_HELP,
    parameters=[query("query", "Search query", required=True), MAILBOX, TZ],
    responses={"200": text_response(), "400": ERROR},
)
async def delete_search(request: Request) -> Response:
    text = request.query_params.get("query")
    if not text:
        raise RequestError(400, "query is required", "query")
    messages = services(request).store.messages
    await messages.delete_matching(text, str_param(request, "mailbox"), str_param(request, "tz"))
    return PlainTextResponse("ok")


@operation(
    "Set read status of the given IDs, of a search, or of all",
    parameters=[MAILBOX, TZ],
    body=json_body(fields(IDs=strings(), Read={"type": "boolean"}, Search={"type": "string"})),
    responses={"200": text_response(), "400": ERROR},
)
async def set_read(request: Request) -> Response:
    body = known_fields(await read_json(request, required=False), "IDs", "Read", "Search")
    read = body.get("Read", False)
    if not isinstance(read, bool):
        raise RequestError(400, "Read must be true or false", "Read")
    search_text = body.get("Search")
    if search_text is not None and not isinstance(search_text, str):
        raise RequestError(400, "Search must be a string", "Search")
    ids = str_list(body, "IDs")
    if ids and search_text:
        raise RequestError(400, "give either IDs or Search, not both", "Search")
    await services(request).store.messages.set_read(
        read,
        ids or None,
        search_text or None,
        str_param(request, "mailbox"),
        str_param(request, "tz"),
    )
    return PlainTextResponse("ok")


def _cursor(svc: Services, request: Request) -> int | None:
    text = request.query_params.get("after")
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return cursor_param(request, "after")
    seq = svc.store.messages.seq_of(text)  # a message ID works as a cursor too
    if seq is None:
        raise RequestError(404, f"no stored message has the ID {text[:40]!r}", "after")
    return seq


@operation(
    "mailyard: wait for a matching message (long poll)",
    description="Returns the oldest message newer than the cursor `after` that matches `query`; "
    "without `after`, the newest matching message at once, else the first to arrive. Answers "
    "408 when none arrives within `timeout` seconds. " + SEARCH_HELP,
    parameters=[
        query("query", "Search query (empty: any message)"),
        query(
            "after",
            "A cursor (from a listing, /messages/cursor or a previous wait) or a message ID",
        ),
        query(
            "timeout",
            "Seconds to wait, 0-300",
            {"type": "number", "default": 30, "minimum": 0, "maximum": 300},
        ),
        MAILBOX,
        TZ,
    ],
    responses={
        "200": json_response({"allOf": [ref("MessageSummary"), obj(cursor={"type": "string"})]}),
        "400": ERROR,
        "404": json_response(ref("Error"), "`after` names no stored message"),
        "408": json_response(ref("Error"), "Timed out"),
    },
)
async def wait(request: Request) -> Response:
    svc = services(request)
    query_text = request.query_params.get("query", "")
    mailbox = str_param(request, "mailbox")
    tz = str_param(request, "tz")
    timeout = float_param(request, "timeout", DEFAULT_WAIT, 0, MAX_WAIT)
    messages = svc.store.messages
    after = _cursor(svc, request)
    messages.check_query(query_text, tz)  # a bad query is a 400 before any waiting
    if after is None:
        newest = messages.first_after(after=None, query=query_text, mailbox=mailbox, tz=tz)
        if newest is not None:
            return JSONResponse({**shapes.summary(newest), "cursor": str(newest.seq)})
        after = messages.cursor()
    found = await svc.waiters.wait(after, query_text, mailbox, timeout, tz)
    if found is not None:
        return JSONResponse({**shapes.summary(found), "cursor": str(found.seq)})
    if svc.waiters.closed:
        raise RequestError(503, "mailyard is shutting down", code="shutting_down")
    return JSONResponse(
        {
            "error": {
                "code": "timeout",
                "message": f"no matching message within {timeout:g}s",
                "field": None,
            },
            "cursor": str(messages.cursor()),
        },
        status_code=408,
    )


@operation(
    "mailyard: the current cursor; wait?after=<cursor> sees only newer mail",
    responses={"200": json_response(obj(cursor={"type": "string"}))},
)
async def cursor(request: Request) -> Response:
    return JSONResponse({"cursor": str(services(request).store.messages.cursor())})


@operation(
    "mailyard: mailboxes with their totals",
    responses={
        "200": json_response(
            obj(
                mailboxes={
                    "type": "array",
                    "items": obj(
                        name={"type": "string"},
                        total={"type": "integer"},
                        unread={"type": "integer"},
                    ),
                }
            )
        )
    },
)
async def mailboxes(request: Request) -> Response:
    boxes = services(request).store.messages.mailboxes()
    return JSONResponse(
        {"mailboxes": [{"name": n, "total": t, "unread": u} for n, (t, u) in boxes.items()]}
    )
