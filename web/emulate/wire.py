"""What every emulated provider route does with HTTP itself: read a bounded body, parse JSON
leniently (SDKs send `{}`, nothing, or a body on a GET), answer JSON with a request id.

Bounds: a body larger than the settings allow for a message (base64 makes it a third larger)
is refused while it is read, before it is held in memory.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mailyard.web.errors import RequestError

OVERHEAD = 256 * 1024  # JSON around the message: addresses, tags, headers


def body_limit(max_message: int) -> int:
    """The largest body a send may have: the largest message, base64-encoded, and its JSON."""
    return max_message * 4 // 3 + OVERHEAD


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it passes `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise RequestError(413, f"the request body is larger than {limit} bytes", "body")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestError(413, f"the request body is larger than {limit} bytes", "body")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(raw: bytes, *, allow_array: bool = False) -> Any:
    """The JSON document in `raw` (an empty body is `{}`); 400 naming the body otherwise."""
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except RecursionError:
        raise RequestError(400, "the body's JSON is nested too deeply", "body") from None
    except (ValueError, UnicodeDecodeError):
        raise RequestError(400, "the body is not valid JSON", "body") from None
    if isinstance(value, dict) or (allow_array and isinstance(value, list)):
        return value
    raise RequestError(400, "the body must be a JSON object", "body")


def request_id() -> str:
    return str(uuid.uuid4())


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Compact JSON, `application/json`."""
    content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return Response(content, status, headers=headers, media_type="application/json")


def client_addr(request: Request) -> str:
    return f"{request.client.host}:{request.client.port}" if request.client else ""
