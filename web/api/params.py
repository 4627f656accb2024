"""Reading request input: query parameters and JSON bodies, each failure naming its field."""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.requests import Request

from mailyard.web.errors import RequestError
from mailyard.web.middleware.guard import same_site_or_direct

MAX_JSON_BODY = 1024 * 1024


N = TypeVar("N", int, float)


MAX_NUMBER_TEXT = 18  # digits: anything longer is past every bound we accept


def _number(
    request: Request, name: str, default: N, convert: type[N], what: str, low: N, high: N | None
) -> N:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    try:
        # ASCII only: int() also reads "٣" and float() "1e999"; neither is a sane parameter.
        if not text.isascii() or len(text) > MAX_NUMBER_TEXT:
            raise ValueError
        value = convert(text)
    except ValueError:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise RequestError(400, f"{name} must be {what}, not {shown!r}", name) from None
    if value != value or value < low or (high is not None and value > high):  # NaN too
        bound = f"between {low:g} and {high:g}" if high is not None else f"{low:g} or more"
        raise RequestError(400, f"{name} must be {bound}", name)
    return value


def int_param(
    request: Request, name: str, default: int, low: int = 0, high: int | None = None
) -> int:
    return _number(request, name, default, int, "a whole number", low, high)


def cursor_param(request: Request, name: str) -> int | None:
    """A message cursor (a seq): ASCII digits, at most 18 of them; None when absent."""
    value = request.query_params.get(name)
    if not value:
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= MAX_NUMBER_TEXT):
        raise RequestError(400, f"{name} must be a message cursor (digits)", name)
    return int(value)


def float_param(request: Request, name: str, default: float, low: float, high: float) -> float:
    return _number(request, name, default, float, "a number of seconds", low, high)


def str_param(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    return value if value else None


def tz_param(request: Request) -> str | None:
    """`tz`, an IANA time zone name; one that names no zone is ignored (the server's zone is
    used), as Mailpit does."""
    name = request.query_params.get("tz", "").strip()
    if not name or len(name) > 64:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
    return name


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
    value = await read_json_or_none(request, required=required, limit=limit)
    return {} if value is None else value


async def read_json_or_none(
    request: Request, *, required: bool = True, limit: int = MAX_JSON_BODY
) -> dict[str, Any] | None:
    """The request's JSON object, or None when there is no body at all."""
    return _json_body(request, await _capped_body(request, limit), required=required)


def _json_body(request: Request, raw: bytes, *, required: bool) -> dict[str, Any] | None:
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip()
    if (
        raw.strip()
        and content_type not in ("application/json", "")
        and not content_type.endswith("+json")
        and not _direct_json(request, raw)
    ):
        # A browser form or text/plain POST is a CORS "simple request": refusing it keeps
        # other sites from driving the API without a preflight.
        raise RequestError(415, "send the body as application/json", "body")
    if not raw.strip():
        if required:
            raise RequestError(400, "a JSON body is required", "body")
        return None
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise RequestError(400, "the body is not valid JSON", "body") from None
    except RecursionError:
        raise RequestError(400, "the body's JSON is nested too deeply", "body") from None
    if not isinstance(value, dict):
        raise RequestError(400, "the body must be a JSON object", "body")
    if _SURROGATE_ESCAPE.search(raw) and not _encodable(json.dumps(value, ensure_ascii=False)):
        raise RequestError(400, "the body holds a lone UTF-16 surrogate (\\ud800...)", "body")
    return value


def _direct_json(request: Request, raw: bytes) -> bool:
    """A JSON object from a direct client under another content type, read as JSON as Mailpit
    reads every body (`curl -d '{...}'` sends it as a form). Never a browser's: it sends an
    Origin with every write (and Sec-Fetch-Site), and for those the 415 above stands."""
    return (
        raw.lstrip()[:1] == b"{"
        and "origin" not in request.headers
        and same_site_or_direct(request.headers)
    )


# A \uD800-\uDFFF escape: JSON allows it alone, but no text store can keep a lone surrogate.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _form_pairs(raw: bytes) -> list[tuple[str, str]]:
    try:
        return parse_qsl(raw.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        raise RequestError(400, "the form is not UTF-8", "body") from None


def _is_form(request: Request) -> bool:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return content_type == "application/x-www-form-urlencoded"


_FORM_BOOLEANS = {"true": True, "false": False}


async def read_form_or_json(request: Request) -> dict[str, Any]:
    """A required JSON object, or a form as Mailpit's Python client sends one (`ids=a&ids=b&
    Read=true`): `ids` (any case, repeated) is a list, `Read` is `true` or `false`."""
    raw = await _capped_body(request)
    if not _is_form(request) or _direct_json(request, raw):
        return _json_body(request, raw, required=True) or {}
    values: dict[str, Any] = {}
    for key, value in _form_pairs(raw):
        if key.lower() == "ids":
            values.setdefault("ids", []).append(value)
        elif key in values:
            raise RequestError(400, f"{key} is given twice", key)
        else:
            values[key] = (
                _FORM_BOOLEANS.get(value.lower(), value) if key.lower() == "read" else value
            )
    return values


async def read_ids(request: Request) -> list[str] | None:
    """`IDs` from a JSON body, or from a form (`IDs=a&IDs=b`, as Mailpit's Python client sends
    a DELETE): None when there is no body at all, which Mailpit documents as "all"."""
    raw = await _capped_body(request)
    if _is_form(request) and not _direct_json(request, raw):
        pairs = _form_pairs(raw)
        unknown = sorted({k for k, _ in pairs if k.lower() != "ids"})
        if unknown:
            raise RequestError(
                400, f"unknown field {unknown[0]!r}; this route takes IDs", unknown[0]
            )
        return [v for _, v in pairs if v] if pairs else None
    body = _json_body(request, raw, required=False)
    if body is None:
        return None
    fields = known_fields(body, "IDs")
    if "IDs" not in fields:
        return _no_ids()
    return str_list(fields, "IDs") or []


def _no_ids() -> list[str]:
    raise RequestError(
        400, "IDs is required: the IDs to act on, [] for every message, or no body at all", "IDs"
    )


def known_fields(body: dict[str, Any], *names: str) -> dict[str, Any]:
    """`body` with its keys matched to `names` case-insensitively, as Mailpit (Go's JSON
    decoder) matches them; any other key is an error naming it, so a misspelt field can never
    be read as absent (`{"ids": [...]}` once deleted every message)."""
    canonical = {name.lower(): name for name in names}
    fields: dict[str, Any] = {}
    unknown = []
    for key, value in body.items():
        name = canonical.get(key.lower())
        if name is None:
            unknown.append(key)
        else:
            fields[name] = value
    if unknown:
        listed = ", ".join(repr(k[:40]) for k in unknown[:5])
        raise RequestError(
            400, f"unknown field {listed}; this route takes {', '.join(names)}", unknown[0][:40]
        )
    return fields


def str_list(body: dict[str, Any], name: str, *, required: bool = False) -> list[str] | None:
    value = body.get(name)
    if value is None:
        if name in body:  # an explicit null is neither a list nor "absent"
            raise RequestError(400, f"{name} must be an array of strings, not null", name)
        if required:
            raise RequestError(400, f"{name} is required", name)
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RequestError(400, f"{name} must be an array of strings", name)
    if not all(_encodable(v) for v in value):
        raise RequestError(400, f"{name} holds text that is not valid Unicode", name)
    return value


def _encodable(text: str) -> bool:
    """False for strings holding lone surrogates (JSON's "\ud800"), which no store can keep."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


async def read_body(request: Request, limit: int = MAX_JSON_BODY) -> bytes:
    """The raw body, capped (for routes that parse it their own way, as Mailpit's chaos API)."""
    return await _capped_body(request, limit)
