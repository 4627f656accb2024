"""Routes over tags: list, set on messages, rename, delete (Mailpit's tag API)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from mailyard.web.api.describe import (
    ERROR,
    MAILBOX,
    fields,
    json_body,
    json_response,
    operation,
    path,
    strings,
    text_response,
)
from mailyard.web.api.params import known_fields, read_json, str_list, str_param
from mailyard.web.errors import RequestError
from mailyard.web.services import services

TAG = path("tag", "The tag")


@operation("All tags", parameters=[MAILBOX], responses={"200": json_response(strings())})
async def list_tags(request: Request) -> Response:
    return JSONResponse(services(request).store.tags.all(str_param(request, "mailbox")))


@operation(
    "Set (replace) the tags of messages; without Tags, remove them (as Mailpit does)",
    body=json_body(fields("IDs", IDs=strings(), Tags=strings()), True),
    responses={"200": text_response(), "400": ERROR},
)
async def set_tags(request: Request) -> Response:
    body = known_fields(await read_json(request), "IDs", "Tags")
    ids = str_list(body, "IDs", required=True) or []
    tags = str_list(body, "Tags") or []
    await services(request).store.tags.set(ids, tags)
    return PlainTextResponse("ok")


@operation(
    "Rename a tag",
    parameters=[TAG],
    body=json_body(fields("Name", Name={"type": "string", "minLength": 1}), True),
    responses={"200": text_response(), "400": ERROR},
)
async def rename_tag(request: Request) -> Response:
    body = known_fields(await read_json(request), "Name")
    name = body.get("Name")
    if not isinstance(name, str) or not name.strip():
        raise RequestError(400, "Name must be a non-empty string", "Name")
    await services(request).store.tags.rename(request.path_params["tag"], name)
    return PlainTextResponse("ok")


@operation("Delete a tag from every message", parameters=[TAG], responses={"200": text_response()})
async def delete_tag(request: Request) -> Response:
    await services(request).store.tags.delete(request.path_params["tag"])
    return PlainTextResponse("ok")
