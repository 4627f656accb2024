"""The retrieval endpoints of two other SES sandboxes, over mailyard's store, for suites written
against them (notes/other-sandboxes.md §3, §4):

LocalStack:
    GET    /_aws/ses[?id=<MessageId>][&email=<Source>]   {"messages": [...]}, oldest first
    DELETE /_aws/ses[?id=<MessageId>]                     204

aws-ses-v2-local:
    GET  /store[?since=<epoch seconds>]          {"templates": {...}, "emails": [...]}
    POST /clear-store                            {"message": "Store cleared"}
    GET  /get-emlContent?messageId=<MessageId>   {"messageId", "fileName", "body": Buffer JSON}

Both tools keep one store for every caller, so these list the SES mail of every mailbox (the
newest MAX_LISTED of it). Their retrieval routes have no AWS auth; `--ui-auth-file` covers them as
it covers the inbox. `get-emlContent` gives the message's own bytes (aws-ses-v2-local rebuilds
them with nodemailer).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from mailyard.sandbox import MessageRecord, NotFoundError, message_part, view_message
from mailyard.web.api.reading import off_loop
from mailyard.web.emulate.ses_account import TEMPLATE
from mailyard.web.emulate.wire import json_response
from mailyard.web.services import Services, services

SES_SOURCES = ("ses", "ses-v1")
MAX_LISTED = 10_000

T = TypeVar("T")


def _records(svc: Services, provider_id: str | None = None) -> list[MessageRecord]:
    found = svc.emulators.repo.provider_messages(SES_SOURCES, provider_id, limit=MAX_LISTED)
    records = []
    for _, message_id in found:
        try:
            records.append(svc.store.messages.get(message_id))
        except NotFoundError:  # deleted between the listing and the read
            continue
    return records


def _read(svc: Services, records: list[MessageRecord]) -> list[tuple[MessageRecord, bytes]]:
    """Each record with its bytes (one deleted meanwhile left out). Run through `_off_loop`."""
    read = []
    for record in records:
        try:
            read.append((record, svc.store.messages.raw(record.summary.seq)))
        except NotFoundError:
            continue
    return read


async def _off_loop(records: list[MessageRecord], work: Callable[[], T]) -> T:
    """`work` over these messages, on a worker thread when together they are big (issue 9)."""
    return await off_loop(sum(r.summary.size for r in records), work)


def _facts(record: MessageRecord) -> dict[str, Any]:
    try:
        facts = json.loads(record.envelope.provider_json or "{}")
    except ValueError:
        return {}
    return facts if isinstance(facts, dict) else {}


def _created(record: MessageRecord) -> datetime:
    return datetime.fromisoformat(record.summary.created.replace("Z", "+00:00")).astimezone(UTC)


# -- LocalStack -----------------------------------------------------------------------------


def _localstack(record: MessageRecord, raw: bytes) -> dict[str, Any]:
    facts = _facts(record)
    item: dict[str, Any] = {
        "Id": record.envelope.provider_id,
        "Region": facts.get("region", "us-east-1"),
    }
    if facts.get("raw"):
        item |= {"Source": facts.get("source", ""), "RawData": raw.decode("utf-8", "replace")}
    elif facts.get("template"):
        item |= {
            "Source": facts.get("source", ""),
            "Template": facts["template"],
            "TemplateData": facts.get("template_data", "{}"),
            "Destination": facts.get("destination", {}),
        }
    else:
        view = view_message(raw)
        item |= {
            "Destination": facts.get("destination", {}),
            "Source": facts.get("source", ""),
            "Subject": record.summary.subject,
            "Body": {"text_part": view.text or None, "html_part": view.html or None},
        }
    item["Timestamp"] = _created(record).strftime("%Y-%m-%dT%H:%M:%S")
    return item


async def localstack_messages(request: Request) -> Response:
    svc = services(request)
    wanted_id = request.query_params.get("id") or None
    wanted_source = request.query_params.get("email") or None
    records = [
        record
        for record in _records(svc, wanted_id)
        if wanted_source is None or _facts(record).get("source") == wanted_source
    ]

    def listed() -> Response:
        return json_response({"messages": [_localstack(*found) for found in _read(svc, records)]})

    return await _off_loop(records, listed)


async def localstack_delete(request: Request) -> Response:
    svc = services(request)
    wanted_id = request.query_params.get("id") or None
    ids = [record.summary.id for record in _records(svc, wanted_id)]
    if ids:
        await svc.store.messages.delete(ids)
    return Response(status_code=204)


# -- aws-ses-v2-local ---------------------------------------------------------------------------


def _ses_v2_local(record: MessageRecord, raw: bytes) -> dict[str, Any]:
    facts = _facts(record)
    view = view_message(raw)
    destination = facts.get("destination", {})
    body = {k: v for k, v in (("text", view.text), ("html", view.html)) if v}
    attachments = []
    for part in (*view.attachments, *view.inline):
        _, content = message_part(raw, part.part_id)
        attachments.append(
            {
                "content": base64.b64encode(content).decode("ascii"),
                "contentType": part.content_type or "application/octet-stream",
                "filename": part.filename,
                "size": len(content),
            }
        )
    return {
        "messageId": record.envelope.provider_id,
        "from": facts.get("source") or record.envelope.mail_from,
        "replyTo": [
            f"{a.name} <{a.address}>" if a.name else a.address for a in record.summary.reply_to
        ],
        "destination": {
            "to": destination.get("ToAddresses", []),
            "cc": destination.get("CcAddresses", []),
            "bcc": destination.get("BccAddresses", []),
        },
        "subject": record.summary.subject or "(no subject)",
        "body": body,
        "attachments": attachments,
        "at": int(_created(record).timestamp()),
    }


def _templates(svc: Services) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for document in svc.emulators.repo.all_documents(TEMPLATE, limit=MAX_LISTED):
        body = document.body
        content = body.get("TemplateContent", {})
        found[document.name] = {
            "TemplateContent": {k: content[k] for k in ("Html", "Subject", "Text") if k in content},
            "TemplateName": document.name,
            "CreatedTimestamp": int(document.created),
        }
    return found


def _bad(message: str) -> Response:
    return json_response({"message": message}, 400)


async def store(request: Request) -> Response:
    svc = services(request)
    since_values = request.query_params.getlist("since")
    since = None
    if since_values:
        if len(since_values) > 1:
            return _bad("Bad since query param, expected single value")
        text = since_values[0]
        if not (text.lstrip("-").isdigit() and str(int(text)) == text):
            return _bad(
                "Bad since query param, expected integer representing epoch timestamp in seconds"
            )
        since = int(text)
    records = _records(svc)
    templates = _templates(svc)

    def listed() -> Response:
        emails = [_ses_v2_local(*found) for found in _read(svc, records)]
        if since is not None:
            emails = [e for e in emails if e["at"] >= since]
        return json_response({"templates": templates, "emails": emails})

    return await _off_loop(records, listed)


async def clear_store(request: Request) -> Response:
    svc = services(request)
    ids = [record.summary.id for record in _records(svc)]
    if ids:
        await svc.store.messages.delete(ids)
    await svc.emulators.repo.delete_all(TEMPLATE)
    return json_response({"message": "Store cleared"})


async def eml_content(request: Request) -> Response:
    svc = services(request)
    values = request.query_params.getlist("messageId")
    if len(values) != 1:
        return _bad("Bad since query param, expected single value")  # sic, as the tool says
    records = _records(svc, values[0])[:1]

    def shown() -> Response:
        found = _read(svc, records)
        if not found:
            return _bad("Email not found within the store")
        record, raw = found[0]
        return json_response(
            {
                "messageId": values[0],
                "fileName": record.summary.subject,
                "body": {"type": "Buffer", "data": list(raw)},
            }
        )

    return await _off_loop(records, shown)
