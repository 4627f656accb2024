"""Routes over many messages: list, search, delete, read status, and waiting for new mail."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from mailyard.sandbox.store import queries
from mailyard.sandbox.store.search import compile_query
from mailyard.web.api import shapes
from mailyard.web.api.params import float_param, int_param, json_body, str_list, str_param
from mailyard.web.errors import RequestError

if TYPE_CHECKING:
    from mailyard.web.app import Context

MAX_WAIT = 300.0
DEFAULT_WAIT = 30.0


def routes(ctx: Context) -> list[Route]:
    async def list_messages(request: Request) -> Response:
        return _page(request, query=None)

    async def search(request: Request) -> Response:
        query = request.query_params.get("query")
        if query is None:
            raise RequestError(400, "query is required", "query")
        return _page(request, query=query)

    def _page(request: Request, query: str | None) -> Response:
        mailbox = str_param(request, "mailbox")
        page = queries.list_page(
            ctx.db.reader,
            mailbox=mailbox,
            start=int_param(request, "start", 0),
            limit=int_param(request, "limit", 50, low=1, high=1000),
            query=query,
            tz=str_param(request, "tz"),
        )
        return JSONResponse(shapes.page(page, queries.all_tags(ctx.db.reader, mailbox)))

    async def delete_messages(request: Request) -> Response:
        body = await json_body(request, required=False)
        ids = str_list(body, "IDs")
        await ctx.db.delete(ids or None, str_param(request, "mailbox"))
        return PlainTextResponse("ok")

    async def delete_search(request: Request) -> Response:
        query = request.query_params.get("query")
        if not query:
            raise RequestError(400, "query is required", "query")
        compile_query(query, str_param(request, "tz"))  # a bad query is a 400 before any write
        await ctx.db.delete_matching(query, str_param(request, "mailbox"), str_param(request, "tz"))
        return PlainTextResponse("ok")

    async def set_read(request: Request) -> Response:
        body = await json_body(request, required=False)
        read = body.get("Read", False)
        if not isinstance(read, bool):
            raise RequestError(400, "Read must be true or false", "Read")
        search = body.get("Search")
        if search is not None and not isinstance(search, str):
            raise RequestError(400, "Search must be a string", "Search")
        tz = str_param(request, "tz")
        if search:
            compile_query(search, tz)
        ids = str_list(body, "IDs")
        await ctx.db.set_read(read, ids or None, search or None, str_param(request, "mailbox"), tz)
        return PlainTextResponse("ok")

    async def wait(request: Request) -> Response:
        """The first message newer than the cursor `after` matching `query`, or 408 on timeout."""
        query = request.query_params.get("query", "")
        mailbox = str_param(request, "mailbox")
        tz = str_param(request, "tz")
        timeout = float_param(request, "timeout", DEFAULT_WAIT, 0, MAX_WAIT)
        after = _cursor(request)
        compile_query(query, tz)
        deadline = time.monotonic() + timeout
        while True:
            # Read the version before querying, so a commit landing in between wakes us.
            version = ctx.notifier.version
            cursor = queries.newest_seq(ctx.db.reader)
            found = queries.first_after(
                ctx.db.reader, after=after, query=query, mailbox=mailbox, tz=tz
            )
            if found is not None:
                return JSONResponse({**shapes.summary(found), "cursor": str(found.seq)})
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not await ctx.notifier.wait(version, remaining):
                return JSONResponse(
                    {
                        "error": {
                            "code": "timeout",
                            "message": f"no matching message within {timeout:g}s",
                            "field": None,
                        },
                        "cursor": str(cursor),
                    },
                    status_code=408,
                )
            if ctx.notifier.closed:  # woken by shutdown: the store is closing under us
                raise RequestError(503, "mailyard is shutting down", code="shutting_down")

    def _cursor(request: Request) -> int | None:
        text = request.query_params.get("after")
        if not text:
            return None
        if text.isdigit():
            return int(text)
        seq = queries.seq_of(ctx.db.reader, text)  # a message ID works as a cursor too
        if seq is None:
            raise RequestError(400, "after must be a cursor or the ID of a stored message", "after")
        return seq

    async def cursor(request: Request) -> Response:
        return JSONResponse({"cursor": str(queries.newest_seq(ctx.db.reader))})

    async def mailboxes(request: Request) -> Response:
        boxes = queries.mailboxes(ctx.db.reader)
        return JSONResponse(
            {"mailboxes": [{"name": n, "total": t, "unread": u} for n, (t, u) in boxes.items()]}
        )

    return [
        Route("/api/v1/messages", list_messages, methods=["GET"]),
        Route("/api/v1/messages", delete_messages, methods=["DELETE"]),
        Route("/api/v1/messages", set_read, methods=["PUT"]),
        Route("/api/v1/search", search, methods=["GET"]),
        Route("/api/v1/search", delete_search, methods=["DELETE"]),
        Route("/api/v1/messages/wait", wait, methods=["GET"]),
        Route("/api/v1/messages/cursor", cursor, methods=["GET"]),
        Route("/api/v1/mailboxes", mailboxes, methods=["GET"]),
    ]
