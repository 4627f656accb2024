"""Routes over tags: list, set on messages, rename, delete (Mailpit's tag API, its rules:
`web.api.tagnames`)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from mailyard.web.api.describe import (
    MAILBOX,
    TEXT_ERROR,
    fields,
    json_body,
    json_response,
    operation,
    path,
    strings,
    text_response,
)
from mailyard.web.api.params import known_fields, read_json, str_list, str_param
from mailyard.web.api.shapes import tag_order
from mailyard.web.api.surface import VERBATIM
from mailyard.web.api.tagnames import clean_tag, clean_tags, spellings
from mailyard.web.errors import RequestError
from mailyard.web.services import services

TAG = path("tag", "The tag (case-insensitive)")


@operation(
    "All tags",
    parameters=[MAILBOX],
    responses={"200": json_response(strings())},
    errors="mailpit",
)
async def list_tags(request: Request) -> Response:
    return JSONResponse(tag_order(services(request).store.tags.all(str_param(request, "mailbox"))))


@operation(
    "Set (replace) the tags of messages; without Tags, remove them (as Mailpit does)",
    description="Tags are cleaned as Mailpit cleans them: characters other than letters, "
    "digits, `-`, `_`, `.`, `@` and space become spaces; one per case-insensitive name.",
    body=json_body(fields(IDs=strings(), Tags=strings()), True),
    responses={"200": text_response(), "400": TEXT_ERROR},
    errors="mailpit",
)
async def set_tags(request: Request) -> Response:
    body = known_fields(await read_json(request), "IDs", "Tags")
    ids = str_list(body, "IDs") or []  # none: nothing to do, as in Mailpit
    store = services(request).store
    tags = clean_tags(str_list(body, "Tags") or [], store.tags.all())
    await store.tags.set(ids, tags)
    return PlainTextResponse("ok")


@operation(
    "Rename a tag",
    description="Refused, as Mailpit refuses it, when the tag does not exist or another tag "
    "already has the new name.",
    parameters=[TAG],
    body=json_body(fields("Name", Name={"type": "string", "pattern": "[a-zA-Z0-9_.@-]"}), True),
    responses={"200": text_response(), "400": TEXT_ERROR},
    errors="mailpit",
)
async def rename_tag(request: Request) -> Response:
    body = known_fields(await read_json(request), "Name")
    name = body.get("Name", "")
    if not isinstance(name, str):
        raise RequestError(400, "Name must be a string", "Name")
    old, new = request.path_params["tag"], clean_tag(name)
    if not new:
        raise RequestError(400, f"invalid tag name: {new}", "Name", code=VERBATIM)
    if old == new:
        return PlainTextResponse("ok")
    tags = services(request).store.tags
    existing = tags.all()
    found = spellings(old, existing)
    if not found:
        raise RequestError(400, f"tag not found: {old}", "tag", code=VERBATIM)
    if [t for t in spellings(new, existing) if t not in found]:
        raise RequestError(400, f"tag already exists: {new}", "Name", code=VERBATIM)
    for spelling in found:
        await tags.rename(spelling, new)
    return PlainTextResponse("ok")


@operation(
    "Delete a tag from every message",
    parameters=[TAG],
    responses={"200": text_response(), "400": TEXT_ERROR},
    errors="mailpit",
)
async def delete_tag(request: Request) -> Response:
    tag = request.path_params["tag"]
    tags = services(request).store.tags
    found = spellings(tag, tags.all())
    if not found:
        raise RequestError(400, f"tag not found: {tag}", "tag", code=VERBATIM)
    for spelling in found:
        await tags.delete(spelling)
    return PlainTextResponse("ok")
