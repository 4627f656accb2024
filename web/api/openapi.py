"""The OpenAPI 3.1 description of the service, built from the route table and the operations
declared beside each handler (`web.api.describe`); served at /api/v1/openapi.json."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from mailyard.web.api.describe import json_response, operation, operations
from mailyard.web.api.info import app_version
from mailyard.web.api.schemas import SCHEMAS


def document(routes: Iterable[BaseRoute]) -> dict[str, Any]:
    """Every described route, path by path, method by method."""
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        if not isinstance(route, Route):
            continue
        for method, spec in sorted(operations(route.endpoint, route.methods or set()).items()):
            paths.setdefault(route.path, {})[method.lower()] = spec
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "mailyard",
            "version": app_version(),
            "description": "Mailpit-compatible API v1 plus mailyard's extensions for CI.",
        },
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": SCHEMAS},
    }


@operation("This document", responses={"200": json_response({"type": "object"})})
async def openapi_json(request: Request) -> Response:
    return JSONResponse(document(request.app.routes))


@operation(
    "This document, where Mailpit serves its own (Mailpit's routes are among ours)",
    responses={"200": json_response({"type": "object"})},
    errors="mailpit",
)
async def swagger_json(request: Request) -> Response:
    return JSONResponse(document(request.app.routes))
