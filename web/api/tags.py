"""Routes over tags: list, set on messages, rename, delete (Mailpit's tag API)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from mailyard.sandbox.store import queries
from mailyard.web.api.params import json_body, str_list, str_param
from mailyard.web.errors import RequestError

if TYPE_CHECKING:
    from mailyard.web.app import Context


def routes(ctx: Context) -> list[Route]:
    async def list_tags(request: Request) -> Response:
        return JSONResponse(queries.all_tags(ctx.db.reader, str_param(request, "mailbox")))

    async def set_tags(request: Request) -> Response:
        body = await json_body(request)
        ids = str_list(body, "IDs", required=True) or []
        tags = str_list(body, "Tags", required=True) or []
        await ctx.db.set_tags(ids, tags)
        return PlainTextResponse("ok")

    async def rename_tag(request: Request) -> Response:
        body = await json_body(request)
        name = body.get("Name")
        if not isinstance(name, str) or not name.strip():
            raise RequestError(400, "Name must be a non-empty string", "Name")
        await ctx.db.rename_tag(request.path_params["tag"], name)
        return PlainTextResponse("ok")

    async def delete_tag(request: Request) -> Response:
        await ctx.db.delete_tag(request.path_params["tag"])
        return PlainTextResponse("ok")

    return [
        Route("/api/v1/tags", list_tags, methods=["GET"]),
        Route("/api/v1/tags", set_tags, methods=["PUT"]),
        Route("/api/v1/tags/{tag}", rename_tag, methods=["PUT"]),
        Route("/api/v1/tags/{tag}", delete_tag, methods=["DELETE"]),
    ]
