"""What every auth route shares: the service, the admin check, bodies, the `{success, data}`
answer, and the OpenAPI pieces that describe them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse

from mailyard.web.api.describe import json_body, json_response, obj
from mailyard.web.api.params import form_body, read_json
from mailyard.web.auth.service import AuthServices
from mailyard.web.errors import RequestError
from mailyard.web.services import services

MAX_AUTH_BODY = 64 * 1024  # an auth request is a few hundred bytes
TAGS = ("auth",)
ADMIN_TAGS = ("auth admin",)
ANY = {"type": "object"}
TEXT = {"type": "string"}
OPTIONAL_TEXT = {"type": ["string", "null"]}
EMAIL = {"type": "string", "format": "email"}
FLAG = {"type": ["boolean", "null"]}
ERROR_SHAPE = obj(
    success={"const": False},
    error=obj(code=TEXT, message=TEXT, field=OPTIONAL_TEXT),
)


def auth(request: Request) -> AuthServices:
    """The running auth service (the routes are only mounted when it is on)."""
    found = services(request).auth
    if found is None:
        raise RequestError(404, "the auth service is off (--no-auth-service)")
    return found


def require_admin(request: Request) -> AuthServices:
    """The auth service, if the request carries its admin token as a Bearer token."""
    found = auth(request)
    header = request.headers.get("authorization", "")
    scheme, _, presented = header.partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="mailyard auth admin"'}
    if scheme.lower() != "bearer" or not presented.strip():
        raise RequestError(
            401,
            "admin routes need the admin token: Authorization: Bearer <token> (printed at "
            "start, or MAILYARD_ADMIN_TOKEN)",
            "authorization",
            headers=challenge,
        )
    if not found.is_admin(presented.strip()):
        raise RequestError(401, "the admin token is wrong", "authorization", headers=challenge)
    return found


async def read_body(request: Request) -> dict[str, Any]:
    """A JSON object; on the link pages' own forms also an urlencoded form."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        return dict(await form_body(request))
    return await read_json(request, limit=MAX_AUTH_BODY)


def is_form(request: Request) -> bool:
    return (
        request.headers.get("content-type", "")
        .lower()
        .startswith("application/x-www-form-urlencoded")
    )


def wants_html(request: Request) -> bool:
    """A person's browser following a link (it asks for HTML first), not an API client."""
    accept = request.headers.get("accept", "")
    return "text/html" in accept.split(",")[0] if accept else False


def iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ok(data: Any, status: int = 200, background: BackgroundTask | None = None) -> JSONResponse:
    return JSONResponse({"success": True, "data": data}, status_code=status, background=background)


def success(data_schema: dict[str, Any] | None = None, description: str = "OK") -> dict[str, Any]:
    return json_response(obj(success={"const": True}, data=data_schema or ANY), description)


def body(required: tuple[str, ...] = (), **properties: Any) -> dict[str, Any]:
    schema = obj(**properties)
    if required:
        schema["required"] = list(required)
    return json_body(schema, required=True)


def refused(description: str) -> dict[str, Any]:
    return json_response(ERROR_SHAPE, description)


BAD = refused("A value is wrong: the error names the field")
UNAUTHORIZED = refused("No admin token, or a wrong one")
NOT_FOUND = refused("No such thing")
TOKEN_REFUSED = {
    "400": refused("The token is malformed, altered, or of another kind"),
    "404": refused("No such token"),
    "410": refused("The token was used, withdrawn, or has expired"),
}
