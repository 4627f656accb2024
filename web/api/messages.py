"""Routes over many messages: list, search, delete, read status, and waiting for new mail."""

from __future__ import annotations

import sys
from dataclasses import replace

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from mailyard.sandbox import Page
from mailyard.web.api import shapes
from mailyard.web.api.describe import (
    ERROR,
    IDS_BODY,
    MAILBOX,
    PAGING,
    SEARCH_HELP,
    SEARCH_QUERY,
    TEXT_ERROR,
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
from mailyard.web.api.metrics import search_observer
from mailyard.web.api.paging import before_term, gather, limit_param, start_param
from mailyard.web.api.params import (
    cursor_param,
    float_param,
    known_fields,
    read_form_or_json,
    read_ids,
    str_list,
    str_param,
    tz_param,
)
from mailyard.web.api.schemas import ref
from mailyard.web.api.surface import VERBATIM
from mailyard.web.errors import RequestError
from mailyard.web.services import Services, services

MAX_WAIT = 300.0
DEFAULT_WAIT = 30.0
NO_QUERY = "Error: no search query"  # Mailpit's answer to an empty query


def _answer(request: Request, page: Page) -> Response:
    mailbox = str_param(request, "mailbox")
    return JSONResponse(shapes.page(page, services(request).store.tags.all(mailbox)))


def _search_text(request: Request) -> str:
    text = request.query_params.get("query", "").strip()
    if not text:
        raise RequestError(400, NO_QUERY, "query", code=VERBATIM)
    return text


@operation(
    "List messages, newest first",
    description="`limit=0` lists every message. `before` lists only messages received before "
    "that date (Mailpit's date forms; one it cannot read is ignored).",
    parameters=[*PAGING, query("before", "Only messages received before this date"), MAILBOX],
    responses={"200": json_response(ref("MessagesSummary")), "400": TEXT_ERROR},
    errors="mailpit",
)
async def list_messages(request: Request) -> Response:
    svc = services(request)
    start, limit = start_param(request), limit_param(request)
    if limit == 0:  # Mailpit: every message, from the first
        start, limit = 0, sys.maxsize
    page = gather(
        svc,
        start=start,
        limit=limit,
        query=before_term(svc, request, None),
        mailbox=str_param(request, "mailbox"),
        tz=None,
    )
    # Mailpit's counts of a listing are the mailbox's, whatever `before` left out.
    return _answer(request, replace(page, count=page.total, count_unread=page.unread))


@operation(
    "Search messages",
    description=SEARCH_HELP + " `limit=0` answers the counts only.",
    parameters=[
        SEARCH_QUERY,
        *PAGING,
        query("before", "Only messages received before this date"),
        MAILBOX,
        TZ,
    ],
    responses={"200": json_response(ref("MessagesSummary")), "400": TEXT_ERROR},
    errors="mailpit",
)
async def search(request: Request) -> Response:
    svc = services(request)
    tz = tz_param(request)
    text = _search_text(request)
    before = before_term(svc, request, tz)
    page = gather(
        svc,
        start=start_param(request),
        limit=limit_param(request),
        query=f"{text} {before}" if before else text,
        mailbox=str_param(request, "mailbox"),
        tz=tz,
        observe=search_observer(request),
    )
    return _answer(request, page)


@operation(
    "Delete the given messages, or all (of the mailbox) without a body or with IDs []",
    description="The body is JSON (`IDs` matched case-insensitively) or a form (`ids=a&ids=b`, "
    "as Mailpit's Python client sends it). A client that sends no Accept header (MailHog's "
    "npm client) gets MailHog's empty answer instead of `ok`.",
    parameters=[MAILBOX],
    body=json_body(IDS_BODY),
    responses={"200": text_response(), "400": TEXT_ERROR},
    errors="mailpit",
)
async def delete_messages(request: Request) -> Response:
    ids = await read_ids(request)
    await services(request).store.messages.delete(ids or None, str_param(request, "mailbox"))
    if "accept" not in request.headers:
        return Response(b"", media_type="text/plain")  # MailHog's empty answer (web.api.mailhog)
    return PlainTextResponse("ok")


@operation(
    "Delete every message matching a search",
    description=SEARCH_HELP,
    parameters=[SEARCH_QUERY, MAILBOX, TZ],
    responses={"200": text_response(), "400": TEXT_ERROR},
    errors="mailpit",
)
async def delete_search(request: Request) -> Response:
    text = _search_text(request)
    messages = services(request).store.messages
    await messages.delete_matching(text, str_param(request, "mailbox"), tz_param(request))
    return PlainTextResponse("ok")


READ_BODY = fields(IDs=strings(), Read={"type": "boolean"}, Search={"type": ["string", "null"]})
READ_FORM = {
    "type": "object",
    "properties": {
        "ids": {"anyOf": [strings(), {"type": "string"}]},
        "Read": {"type": "boolean"},
    },
    "additionalProperties": False,
    "description": "As Mailpit's Python client sends it: ids (repeated) and Read",
}


@operation(
    "Set the read status of the given IDs, of a search's matches, or of every message",
    description="JSON (keys matched case-insensitively), or a form (`ids=a&ids=b&Read=true`, "
    "as Mailpit's Python client sends it). Without IDs and Search: every message (of the "
    "mailbox); `{}` marks every message unread, as in Mailpit.",
    parameters=[MAILBOX, TZ],
    body={
        "required": True,
        "content": {
            "application/json": {"schema": READ_BODY},
            "application/x-www-form-urlencoded": {"schema": READ_FORM},
        },
    },
    responses={"200": text_response(), "400": TEXT_ERROR},
    errors="mailpit",
)
async def set_read(request: Request) -> Response:
    body = known_fields(await read_form_or_json(request), "IDs", "Read", "Search")
    read = body.get("Read", False)
    if not isinstance(read, bool):
        raise RequestError(400, "Read must be true or false", "Read")
    search_text = body.get("Search")
    if search_text is not None and not isinstance(search_text, str):
        raise RequestError(400, "Search must be a string", "Search")
    ids = str_list(body, "IDs")
    search_text = (search_text or "").strip()
    if ids and search_text:
        raise RequestError(
            400,
            "You may specify either IDs or a search query, not both",
            "Search",
            code=VERBATIM,
        )
    await services(request).store.messages.set_read(
        read,
        ids or None,
        search_text or None,
        str_param(request, "mailbox"),
        tz_param(request),
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
    tz = tz_param(request)
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
