"""One place turns errors into responses, in the format of the surface the request went to.

- pages of the inbox: an HTML page (or, for htmx, an HTML fragment it swaps in);
- `/api/...` and mailyard's other JSON routes: `{"error": {"code", "message", "field"}}`;
- the reference auth service (`/auth/`, `/api/auth/`, `/api/admin/`): the same error with
  `"success": false` beside it, the shape of its `{success, data}` answers;
- each provider emulator (`web.emulate.surfaces`): that provider's own error format: SES v2's
  JSON with `x-amzn-ErrorType`, SES v1's `<ErrorResponse>`, Resend's `{statusCode, name,
  message}`.

No traceback or internal text ever reaches a client; unexpected errors are logged here and
answered with a generic 500.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, Protocol

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from mailyard.sandbox import (
    AuthError,
    InvalidInputError,
    NotFoundError,
    RateLimitedError,
    SandboxError,
    StorageFullError,
    StoreError,
)

log = logging.getLogger("mailyard.http")

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "timeout",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
    500: "internal",
    502: "bad_gateway",
    503: "unavailable",
}


class RequestError(Exception):
    """A request the service cannot serve, with its status and the field at fault."""

    def __init__(
        self,
        status: int,
        message: str,
        field: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.code = code or CODES.get(status, "error")
        self.headers = dict(headers or {})


@dataclass(frozen=True)
class Problem:
    """An error, independent of how it will be written."""

    status: int
    message: str
    code: str
    field: str | None = None
    headers: dict[str, str] = dataclass_field(default_factory=dict)


class Surface(Protocol):
    """Where a request went, and how errors are written there."""

    def matches(self, request: Request) -> bool: ...

    def render(self, request: Request, problem: Problem) -> Response: ...


def json_error(problem: Problem) -> JSONResponse:
    body = {"error": {"code": problem.code, "message": problem.message, "field": problem.field}}
    return JSONResponse(body, status_code=problem.status, headers=problem.headers)


class JSONSurface:
    """mailyard's JSON API and its other machine routes."""

    PREFIXES = ("/api/", "/view/", "/livez", "/readyz", "/metrics")

    def matches(self, request: Request) -> bool:
        return request.url.path.startswith(self.PREFIXES)

    def render(self, request: Request, problem: Problem) -> Response:
        return json_error(problem)


class AuthSurface:
    """The reference auth service's routes (MIOSA's /auth, BluAuth's /api/auth and /api/admin):
    their own simple shape, `{"success": false, "error": {"code", "message", "field"}}`."""

    PREFIXES = ("/auth/", "/api/auth/", "/api/admin/")

    def matches(self, request: Request) -> bool:
        return request.url.path.startswith(self.PREFIXES)

    def render(self, request: Request, problem: Problem) -> Response:
        error = {"code": problem.code, "message": problem.message, "field": problem.field}
        return JSONResponse(
            {"success": False, "error": error},
            status_code=problem.status,
            headers=problem.headers,
        )


# The auth flows' refusals (`sandbox.auth.errors` codes) as HTTP statuses; others are 400.
AUTH_STATUSES = {
    "token_unknown": 404,
    "token_used": 410,
    "token_expired": 410,
    "token_revoked": 410,
    "account_exists": 409,
    "suppressed": 409,
    "invitation_accepted": 409,
    "invitation_revoked": 409,
    "self_signup_disabled": 403,
    "invalid_credentials": 401,
    "email_not_verified": 403,
    "rate_limited": 429,
}


class PageSurface:
    """The inbox's pages: an HTML page a person can read, or a fragment for htmx to show."""

    def matches(self, request: Request) -> bool:
        return True

    def render(self, request: Request, problem: Problem) -> Response:
        message = html.escape(problem.message)
        if request.headers.get("hx-request") == "true":
            body = f'<div class="error" role="alert">{message}</div>'
        else:
            body = _page(problem.status, problem.message)
        headers = {**problem.headers, **PAGE_ERROR_HEADERS}
        return HTMLResponse(body, status_code=problem.status, headers=headers)


PAGE_ERROR_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; base-uri 'none'; "
    "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}
ERROR_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{status} · mailyard</title><link rel="stylesheet" href="/static/app.css"></head>
<body><main class="error-page"><h1>{status}</h1><p role="alert">{message}</p>
<p><a href="/">Back to the inbox</a></p></main></body></html>
"""


def _page(status: int, message: str) -> str:
    """The inbox's error page; the bare one if even its template cannot be rendered (the
    error page is the last thing that must work)."""
    from mailyard.web.ui.errorpage import error_page  # jinja2 loads with the first page error

    try:
        return error_page(status, message)
    except Exception:
        log.exception("the error page's template failed")
        return ERROR_PAGE.format(status=status, message=html.escape(message))


def problem_of(request: Request, exc: Exception) -> Problem:
    """The Problem an exception means; logs what a client must not see."""
    if isinstance(exc, RequestError):
        return Problem(exc.status, exc.message, exc.code, exc.field, exc.headers)
    if isinstance(exc, NotFoundError):
        return Problem(404, str(exc), "not_found")
    if isinstance(exc, AuthError):
        headers = {}
        if isinstance(exc, RateLimitedError):
            headers["Retry-After"] = str(int(exc.retry_after + 0.999))
        return Problem(AUTH_STATUSES.get(exc.code, 400), str(exc), exc.code, exc.field, headers)
    if isinstance(exc, InvalidInputError):
        return Problem(400, str(exc), "invalid", exc.field)
    if isinstance(exc, StorageFullError):
        return Problem(503, "the database is full", "storage_full")
    if isinstance(exc, StoreError):
        log.error("store error on %s %s: %s", request.method, request.url.path, exc)
        return Problem(503, "the store is unavailable, try again", "store_unavailable")
    if isinstance(exc, SandboxError):
        log.error("unhandled sandbox error on %s %s: %r", request.method, request.url.path, exc)
        return Problem(500, "internal error", "internal")
    if isinstance(exc, HTTPException):
        message = {404: "no such page or route", 405: "method not allowed"}.get(
            exc.status_code, str(exc.detail)
        )
        return Problem(
            exc.status_code,
            message,
            CODES.get(exc.status_code, "error"),
            headers=dict(exc.headers or {}),
        )
    log.exception("internal error on %s %s", request.method, request.url.path, exc_info=exc)
    return Problem(500, "internal error", "internal")


Handler = Callable[[Request, Exception], Awaitable[Response]]


def exception_handlers(surfaces: Sequence[Surface]) -> Mapping[Any, Handler]:
    """Starlette exception handlers rendering every error on the first surface that matches."""

    async def handle(request: Request, exc: Exception) -> Response:
        problem = problem_of(request, exc)
        for surface in surfaces:
            if surface.matches(request):
                return surface.render(request, problem)
        return json_error(problem)

    # Exception last: Starlette answers it and then re-raises for the server to log.
    return {RequestError: handle, SandboxError: handle, HTTPException: handle, Exception: handle}


def _emulator_surfaces() -> tuple[Surface, ...]:
    """The provider emulators' surfaces (web.emulate): SES v2, SES v1, Resend, compatibility."""
    from mailyard.web.emulate.surfaces import SURFACES

    return SURFACES


DEFAULT_SURFACES: tuple[Surface, ...] = (
    AuthSurface(),
    *_emulator_surfaces(),
    JSONSurface(),
    PageSurface(),
)
