"""BluAuth's Theme Studio and clients (Bearer admin token): /api/admin/themes, /api/admin/clients.

An email of a client uses the client's bound theme, then the service-default theme (`isDefault`),
then the built-in defaults, field by field; a change here takes effect on the next send.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mailyard.sandbox import client_json, theme_json
from mailyard.web.api.describe import operation, path
from mailyard.web.api.params import int_param, read_json
from mailyard.web.auth.admin import ADMIN, PAGING
from mailyard.web.auth.common import (
    ADMIN_TAGS,
    BAD,
    FLAG,
    MAX_AUTH_BODY,
    NOT_FOUND,
    OPTIONAL_TEXT,
    TEXT,
    body,
    ok,
    require_admin,
    success,
)

ID = path("id", "The theme's or client's id")
THEME_FIELDS = {
    "id": OPTIONAL_TEXT,
    "name": TEXT,
    "primaryColor": OPTIONAL_TEXT,
    "logoUrl": OPTIONAL_TEXT,
    "footerText": OPTIONAL_TEXT,
    "fontFamilyPreset": OPTIONAL_TEXT,
    "locale": OPTIONAL_TEXT,
    "isDefault": FLAG,
}
CLIENT_FIELDS = {
    "id": OPTIONAL_TEXT,
    "name": TEXT,
    "themeId": OPTIONAL_TEXT,
    "selfSignup": FLAG,
    "signInUrl": OPTIONAL_TEXT,
}


# -- themes ----------------------------------------------------------------------------------


@operation(
    "BluAuth admin: themes",
    parameters=PAGING,
    responses={"200": success(), "400": BAD, **ADMIN},
    tags=ADMIN_TAGS,
)
async def list_themes(request: Request) -> Response:
    store = require_admin(request).service.tenants.store
    found = store.themes(
        limit=int_param(request, "limit", 100, low=1, high=1000),
        offset=int_param(request, "offset", 0),
    )
    return ok({"themes": [theme_json(t) for t in found], "count": len(found)})


@operation(
    "BluAuth admin: create a theme (isDefault makes it the service default)",
    body=body(("name",), **THEME_FIELDS),
    responses={"201": success(description="Created"), "400": BAD, **ADMIN},
    tags=ADMIN_TAGS,
)
async def create_theme(request: Request) -> Response:
    tenants = require_admin(request).service.tenants
    theme = await tenants.create_theme(await read_json(request, limit=MAX_AUTH_BODY))
    return ok(theme_json(theme), 201)


@operation(
    "BluAuth admin: one theme",
    parameters=[ID],
    responses={"200": success(), **ADMIN, "404": NOT_FOUND},
    tags=ADMIN_TAGS,
)
async def get_theme(request: Request) -> Response:
    tenants = require_admin(request).service.tenants
    return ok(theme_json(tenants.theme(request.path_params["id"])))


@operation(
    "BluAuth admin: change a theme's fields (null clears one; the next send uses them)",
    parameters=[ID],
    body=body((), **{k: v for k, v in THEME_FIELDS.items() if k != "id"}),
    responses={"200": success(), "400": BAD, **ADMIN, "404": NOT_FOUND},
    tags=ADMIN_TAGS,
)
async def update_theme(request: Request) -> Response:
    tenants = require_admin(request).service.tenants
    data = await read_json(request, limit=MAX_AUTH_BODY)
    return ok(theme_json(await tenants.update_theme(request.path_params["id"], data)))


@operation(
    "BluAuth admin: delete a theme (clients bound to it fall back to the service default)",
    parameters=[ID],
    responses={"200": success(), **ADMIN, "404": NOT_FOUND},
    tags=ADMIN_TAGS,
)
async def delete_theme(request: Request) -> Response:
    tenants = require_admin(request).service.tenants
    await tenants.delete_theme(request.path_params["id"])
    return ok({"deleted": request.path_params["id"]})


# -- clients ---------------------------------------------------------------------------------


@operation(
    "BluAuth admin: clients (apps)",
    parameters=PAGING,
    responses={"200": success(), "400": BAD, **ADMIN},
    tags=ADMIN_TAGS,
)
async def list_clients(request: Request) -> Response:
    store = require_admin(request).service.tenants.store
    found = store.clients(
        limit=int_param(request, "limit", 100, low=1, high=1000),
        offset=int_param(request, "offset", 0),
    )
    return ok({"clients": [client_json(c) for c in found], "count": len(found)})


@operation(
    "BluAuth admin: create a client, optionally bound to a theme",
    body=body(("name",), **CLIENT_FIELDS),
    responses={"201": success(description="Created"), "400": BAD, **ADMIN},
    tags=ADMIN_TAGS,
)
async def create_client(request: Request) -> Response:
    tenants = require_admin(request).service.tenants
    client = await tenants.create_client(await read_json(request, limit=MAX_AUTH_BODY))
    return ok(client_json(client), 201)


@operation(
    "BluAuth admin: one client",
    parameters=[ID],
    responses={"200": success(), **ADMIN, "404": NOT_FOUND},
    tags=ADMIN_TAGS,
)
async def get_client(request: Request) -> Response:
    tenants = require_admin(request).service.tenants
    return ok(client_json(tenants.client(request.path_params["id"])))


@operation(
    "BluAuth admin: change a client (name, bound theme, self-signup, sign-in URL)",
    parameters=[ID],
    body=body((), **{k: v for k, v in CLIENT_FIELDS.items() if k != "id"}),
    responses={"200": success(), "400": BAD, **ADMIN, "404": NOT_FOUND},
    tags=ADMIN_TAGS,
)
async def update_client(request: Request) -> Response:
    tenants = require_admin(request).service.tenants
    data = await read_json(request, limit=MAX_AUTH_BODY)
    return ok(client_json(await tenants.update_client(request.path_params["id"], data)))


@operation(
    "BluAuth admin: delete a client",
    parameters=[ID],
    responses={"200": success(), **ADMIN, "404": NOT_FOUND},
    tags=ADMIN_TAGS,
)
async def delete_client(request: Request) -> Response:
    tenants = require_admin(request).service.tenants
    await tenants.delete_client(request.path_params["id"])
    return ok({"deleted": request.path_params["id"]})
