"""One place turns errors into responses: JSON `{"error": {"code", "message", "field"}}`.

No traceback or internal text ever reaches a client; unexpected errors are logged here and
answered with a generic 500.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mailyard.sandbox.errors import (
    InvalidInputError,
    NotFoundError,
    SandboxError,
    StorageFullError,
    StoreError,
)

log = logging.getLogger("mailyard.http")

_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    408: "timeout",
    413: "too_large",
    415: "unsupported_media_type",
    500: "internal",
    503: "unavailable",
}


class RequestError(Exception):
    """A request the API cannot serve, with its status and the field at fault."""

    def __init__(
        self, status: int, message: str, field: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.code = code or _CODES.get(status, "error")


def error_response(
    status: int, message: str, field: str | None = None, code: str | None = None
) -> JSONResponse:
    body = {
        "error": {"code": code or _CODES.get(status, "error"), "message": message, "field": field}
    }
    return JSONResponse(body, status_code=status)


async def _request_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestError)
    return error_response(exc.status, exc.message, exc.field, exc.code)


async def _sandbox_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, NotFoundError):
        return error_response(404, str(exc))
    if isinstance(exc, InvalidInputError):
        return error_response(400, str(exc), exc.field, "invalid")
    if isinstance(exc, StorageFullError):
        return error_response(503, "the database is full", code="storage_full")
    if isinstance(exc, StoreError):
        log.error("store error on %s %s: %s", request.method, request.url.path, exc)
        return error_response(503, "the store is unavailable, try again", code="store_unavailable")
    log.error("unhandled sandbox error on %s %s: %r", request.method, request.url.path, exc)
    return error_response(500, "internal error")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = {404: "no such route", 405: "method not allowed"}.get(
        exc.status_code, str(exc.detail)
    )
    return error_response(exc.status_code, message)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("internal error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal error")


Handler = Callable[[Request, Exception], Awaitable[Response]]
EXCEPTION_HANDLERS: Mapping[Any, Handler] = {
    RequestError: _request_error,
    SandboxError: _sandbox_error,
    HTTPException: _http_error,
    Exception: _unexpected,
}
