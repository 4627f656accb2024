"""Mailpit's HTTP send API: `POST /api/v1/send` stores a message built from JSON fields."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mailyard.sandbox import Attachment, Envelope, Parts, compose, decode_base64
from mailyard.web.api.describe import (
    MAILPIT_JSON_ERROR,
    json_body,
    json_response,
    obj,
    operation,
    query,
    strings,
)
from mailyard.web.api.params import read_json, str_param
from mailyard.web.api.tagnames import clean_tag
from mailyard.web.errors import RequestError
from mailyard.web.services import services

_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key, "")
    if not isinstance(value, str):
        raise RequestError(400, f"{key} must be a string", key)
    return value


def _person(value: Any, where: str) -> tuple[str, str]:
    if not isinstance(value, dict) or not isinstance(value.get("Email"), str) or not value["Email"]:
        raise RequestError(400, f"{where} needs an Email", f"{where}.Email")
    name = value.get("Name", "")
    if not isinstance(name, str):
        raise RequestError(400, f"{where}.Name must be a string", f"{where}.Name")
    return name, value["Email"]


def _list(body: dict[str, Any], key: str) -> list[Any]:
    """A list field; absent or null is empty (Go's decoder reads null so)."""
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise RequestError(400, f"{key} must be an array", key)
    return value


def _people(body: dict[str, Any], key: str) -> tuple[tuple[str, str], ...]:
    return tuple(_person(v, key) for v in _list(body, key))


def _strings(body: dict[str, Any], key: str) -> tuple[str, ...]:
    value = _list(body, key)
    if not all(isinstance(v, str) for v in value):
        raise RequestError(400, f"{key} must be an array of strings", key)
    return tuple(value)


def _bcc(body: dict[str, Any]) -> tuple[str, ...]:
    addresses = _strings(body, "Bcc")
    for address in addresses:
        local, at, domain = address.rpartition("@")
        if not (at and local and domain) or any(c.isspace() or ord(c) < 32 for c in address):
            raise RequestError(400, f"invalid Bcc address: {address}", "Bcc")
    return addresses


def parts_from_json(body: dict[str, Any]) -> Parts:
    headers = {} if body.get("Headers") is None else body["Headers"]
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise RequestError(400, "Headers must be an object of strings", "Headers")
    for name in headers:
        if not _HEADER_NAME.match(name):
            raise RequestError(400, f"{name[:40]!r} is not a header name", "Headers")
    attachments = []
    for i, item in enumerate(_list(body, "Attachments")):
        where = f"Attachments[{i}]"
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("Content"), str)
            or not isinstance(item.get("Filename"), str)
        ):
            raise RequestError(400, f"{where} needs Content (base64) and Filename", where)
        for key in ("ContentType", "ContentID"):
            if item.get(key) is not None and not isinstance(item[key], str):
                raise RequestError(400, f"{where}.{key} must be a string", f"{where}.{key}")
        # Mailpit decodes what follows the last comma: a `data:` URI works as well as base64.
        content = item["Content"].rsplit(",", 1)[-1]
        attachments.append(
            Attachment(
                filename=item["Filename"],
                content=decode_base64(content, f"{where}.Content"),
                content_type=item.get("ContentType") or "",
                content_id=item.get("ContentID") or "",
            )
        )
    return Parts(
        sender=_person(body.get("From"), "From"),
        to=_people(body, "To"),
        cc=_people(body, "Cc"),
        bcc=_bcc(body),
        reply_to=_people(body, "ReplyTo"),
        subject=_text(body, "Subject"),
        text=_text(body, "Text"),
        html=_text(body, "HTML"),
        headers=tuple(headers.items()),
        # cleaned as Mailpit cleans tags (web.api.tagnames); one that cleans to nothing is dropped
        tags=tuple(t for t in map(clean_tag, _strings(body, "Tags")) if t),
        attachments=tuple(attachments),
    )


# What goes into a header holds no line break, of any kind Python's email package counts.
ONE_LINE = {
    "type": "string",
    "pattern": "^[^\\r\\n\\u000b\\u000c\\u001c-\\u001e\\u0085\\u2028\\u2029]*$",
}
NULLABLE_LINE = {**ONE_LINE, "type": ["string", "null"]}
_PERSON = {
    **obj(Email={"type": "string", "format": "email"}, Name=ONE_LINE),
    "required": ["Email"],
}
# Mailpit (Go's JSON decoder) takes null for any list: so does this.
_PEOPLE = {"type": ["array", "null"], "items": _PERSON}
BASE64 = "(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?"
SEND_BODY = {
    **obj(
        From=_PERSON,
        To=_PEOPLE,
        Cc=_PEOPLE,
        Bcc={"type": ["array", "null"], "items": {"type": "string", "format": "email"}},
        ReplyTo=_PEOPLE,
        Subject=ONE_LINE,
        Text={"type": "string"},
        HTML={"type": "string"},
        Headers={
            "type": ["object", "null"],
            "propertyNames": {"pattern": _HEADER_NAME.pattern},
            "additionalProperties": ONE_LINE,
        },
        Tags={**strings(), "type": ["array", "null"]},
        Attachments={
            "type": ["array", "null"],
            "items": {
                **obj(
                    Content={
                        "type": "string",
                        "pattern": f"^(?:[^\\n]*,)?{BASE64}$",
                        "description": "base64, or a data: URI (data:image/png;base64,...)",
                    },
                    Filename=ONE_LINE,
                    ContentType=NULLABLE_LINE,
                    ContentID={**NULLABLE_LINE, "description": "set: attached inline"},
                ),
                "required": ["Content", "Filename"],
            },
        },
    ),
    "required": ["From"],
    # at least one recipient, as the send refuses a message to nobody
    "anyOf": [
        {"required": [key], "properties": {key: {"type": "array", "minItems": 1}}}
        for key in ("To", "Cc", "Bcc")
    ],
}


@operation(
    "Store a message built from JSON (Mailpit's HTTP send API)",
    parameters=[query("mailbox", "The mailbox to store it in (default: default)")],
    body=json_body(SEND_BODY, required=True),
    responses={
        "200": json_response(obj(ID={"type": "string"})),
        "400": json_response(MAILPIT_JSON_ERROR, 'Bad input: Mailpit\'s {"Error"}'),
        "413": json_response(MAILPIT_JSON_ERROR, "Too large"),
    },
    errors="mailpit-json",
)
async def send(request: Request) -> Response:
    svc = services(request)
    # Attachments travel base64-encoded: allow a message as large as SMTP would take.
    body = await read_json(request, limit=svc.settings.smtp_max_size * 4 // 3 + 64 * 1024)
    parts = parts_from_json(body)
    if not parts.recipients:
        raise RequestError(400, "at least one of To, Cc or Bcc is needed", "To")
    envelope = Envelope(
        mail_from=parts.sender[1],
        rcpt_to=parts.recipients,
        mailbox=str_param(request, "mailbox") or "default",
        source="api",
        client_addr=request.client.host if request.client else "",
    )
    stored = await svc.store.messages.ingest(compose(parts), envelope)
    return JSONResponse({"ID": stored.id})
