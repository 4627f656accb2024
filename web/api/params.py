"""Reading request input: query parameters and JSON bodies, each failure naming its field."""

from __future__ import annotations

import json
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from starlette.requests import Request

from mailyard.web.errors import RequestError

MAX_JSON_BODY = 1024 * 1024


N = TypeVar("N", int, float)


def _number(
    request: Request, name: str, default: N, convert: type[N], what: str, low: N, high: N | None
) -> N:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    try:
        value = convert(text)
    except ValueError:
        raise RequestError(400, f"{name} must be {what}, not {text!r}", name) from None
    if value != value or value < low or (high is not None and value > high):  # NaN too
        bound = f"between {low:g} and {high:g}" if high is not None else f"{low:g} or more"
        raise RequestError(400, f"{name} must be {bound}", name)
    return value


def int_param(
    request: Request, name: str, default: int, low: int = 0, high: int | None = None
) -> int:
    return _number(request, name, default, int, "a whole number", low, high)


def float_param(request: Request, name: str, default: float, low: float, high: float) -> float:
    return _number(request, name, default, float, "a number of seconds", low, high)


def str_param(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    return value if value else None


async def _capped_body(request: Request, limit: int = MAX_JSON_BODY) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise RequestError(413, f"the body is larger than {limit} bytes", "body")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestError(413, f"the body is larger than {limit} bytes", "body")
        chunks.append(chunk)
    return b"".join(chunks)


async def form_body(request: Request) -> dict[str, str]:
    """An urlencoded form (what htmx posts), capped like JSON bodies; last value of a name wins."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("application/x-www-form-urlencoded"):
        raise RequestError(415, "send the form as application/x-www-form-urlencoded", "body")
    try:
        pairs = parse_qsl((await _capped_body(request)).decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        raise RequestError(400, "the form is not UTF-8", "body") from None
    return dict(pairs)


async def read_json(
    request: Request, *, required: bool = True, limit: int = MAX_JSON_BODY
) -> dict[str, Any]:
    """The request's JSON object; at most 1 MiB, read in chunks so a huge body is refused early."""
    raw = await _capped_body(request, limit)
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip()
    if (
        raw.strip()
        and content_type not in ("application/json", "")
        and not content_type.endswith("+json")
    ):
        # A browser form or text/plain POST is a CORS "simple request": refusing it keeps
        # other sites from driving the API without a preflight.
        raise RequestError(415, "send the body as application/json", "body")
    if not raw.strip():
        if required:
            raise RequestError(400, "a JSON body is required", "body")
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise RequestError(400, "the body is not valid JSON", "body") from None
    if not isinstance(value, dict):
        raise RequestError(400, "the body must be a JSON object", "body")
    return value


def str_list(body: dict[str, Any], name: str, *, required: bool = False) -> list[str] | None:
    value = body.get(name)
    if value is None:
        if required:
            raise RequestError(400, f"{name} is required", name)
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RequestError(400, f"{name} must be an array of strings", name)
    return value
