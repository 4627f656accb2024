"""Mailpit's HTTP send API: `POST /api/v1/send` stores a message built from JSON fields."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mailyard.sandbox import Attachment, Envelope, Parts, compose, decode_base64
from mailyard.web.api.describe import (
    ERROR,
    json_body,
    json_response,
    obj,
    operation,
    query,
    strings,
)
from mailyard.web.api.params import read_json, str_param
from mailyard.web.errors import RequestError
from mailyard.web.services import services


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


def _people(body: dict[str, Any], key: str) -> tuple[tuple[str, str], ...]:
    value = body.get(key) or []
    if not isinstance(value, list):
        raise RequestError(400, f"{key} must be an array", key)
    return tuple(_person(v, key) for v in value)


def _strings(body: dict[str, Any], key: str) -> tuple[str, ...]:
    value = body.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RequestError(400, f"{key} must be an array of strings", key)
    return tuple(value)


def parts_from_json(body: dict[str, Any]) -> Parts:
    headers = body.get("Headers") or {}
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise RequestError(400, "Headers must be an object of strings", "Headers")
    attachments = []
    for i, item in enumerate(body.get("Attachments") or []):
        where = f"Attachments[{i}]"
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("Content"), str)
            or not isinstance(item.get("Filename"), str)
        ):
            raise RequestError(400, f"{where} needs Content (base64) and Filename", where)
        attachments.append(
            Attachment(
                filename=item["Filename"],
                content=decode_base64(item["Content"], f"{where}.Content"),
                content_type=str(item.get("ContentType") or ""),
                content_id=str(item.get("ContentID") or ""),
            )
        )
    return Parts(
        sender=_person(body.get("From"), "From"),
        to=_people(body, "To"),
        cc=_people(body, "Cc"),
        bcc=_strings(body, "Bcc"),
        reply_to=_people(body, "ReplyTo"),
        subject=_text(body, "Subject"),
        text=_text(body, "Text"),
        html=_text(body, "HTML"),
        headers=tuple(headers.items()),
        tags=_strings(body, "Tags"),
        attachments=tuple(attachments),
    )


_PERSON = {
    **obj(Email={"type": "string", "format": "email"}, Name={"type": "string"}),
    "required": ["Email"],
}
_PEOPLE = {"type": "array", "items": _PERSON}
SEND_BODY = {
    **obj(
        From=_PERSON,
        To=_PEOPLE,
        Cc=_PEOPLE,
        Bcc=strings(),
        ReplyTo=_PEOPLE,
        Subject={"type": "string"},
        Text={"type": "string"},
        HTML={"type": "string"},
        Headers={"type": "object", "additionalProperties": {"type": "string"}},
        Tags=strings(),
        Attachments={
            "type": "array",
            "items": {
                **obj(
                    Content={"type": "string", "description": "base64"},
                    Filename={"type": "string"},
                    ContentType={"type": "string"},
                    ContentID={"type": "string", "description": "set: attached inline"},
                ),
                "required": ["Content", "Filename"],
            },
        },
    ),
    "required": ["From"],
}


@operation(
    "Store a message built from JSON (Mailpit's HTTP send API)",
    parameters=[query("mailbox", "The mailbox to store it in (default: default)")],
    body=json_body(SEND_BODY, required=True),
    responses={
        "200": json_response(obj(ID={"type": "string"})),
        "400": ERROR,
        "413": ERROR,
    },
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
