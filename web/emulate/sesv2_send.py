"""SES v2's sends: `SendEmail` (Simple, Raw and Template content) and `SendBulkEmail`.

    POST /v2/email/outbound-emails        {"FromEmailAddress", "Destination", "Content", ...}
    POST /v2/email/outbound-bulk-emails   {"DefaultContent": {"Template": ...}, "BulkEmailEntries"}

Raw content takes its recipients from `Destination` when given (nodemailer's SES transport puts
To, Cc and Bcc there and no Bcc header in the message) and from the message's headers otherwise;
the sender from `FromEmailAddress` or the message's From.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mailyard.sandbox import (
    Attachment,
    Parts,
    RenderingFailureError,
    TemplateDataError,
    raw_addresses,
)
from mailyard.web.emulate import ses_wire as member
from mailyard.web.emulate.ses_errors import SESError, bad_request
from mailyard.web.emulate.ses_send import Outgoing, send
from mailyard.web.emulate.sesv2_io import begin, ok
from mailyard.web.emulate.sesv2_templates import render_stored, template_name
from mailyard.web.services import Services

MAX_HEADERS = 15
MAX_BULK_ENTRIES = 50
BULK_STATUS = {
    "MessageRejected": "MESSAGE_REJECTED",
    "MailFromDomainNotVerifiedException": "MAIL_FROM_DOMAIN_NOT_VERIFIED",
    "NotFoundException": "CONFIGURATION_SET_NOT_FOUND",
    "AccountSuspendedException": "ACCOUNT_SUSPENDED",
    "TooManyRequestsException": "ACCOUNT_THROTTLED",
    "LimitExceededException": "ACCOUNT_DAILY_QUOTA_EXCEEDED",
    "SendingPausedException": "ACCOUNT_SENDING_PAUSED",
    "BadRequestException": "INVALID_PARAMETER",
}


def _blob(value: Any, label: str) -> bytes:
    if not isinstance(value, str):
        raise bad_request(f"{label} must be base64 text.")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise bad_request(f"{label} is not valid base64.") from None


def _headers(body: dict[str, Any], name: str, where: str) -> tuple[tuple[str, str], ...]:
    found = member.pairs(body, name, ("Name", "Value"), where)
    if len(found) > MAX_HEADERS:
        raise bad_request(f"{where}{name} may have at most {MAX_HEADERS} headers.")
    return tuple(found)


def _attachments(body: dict[str, Any], where: str) -> tuple[Attachment, ...]:
    found = []
    for index, item in enumerate(member.items(body, "Attachments", where)):
        label = f"{where}Attachments[{index}]."
        if not isinstance(item, dict):
            raise bad_request(f"{label[:-1]} must be an object.")
        disposition = member.text(item, "ContentDisposition", label) or "ATTACHMENT"
        if disposition not in ("ATTACHMENT", "INLINE"):
            raise bad_request(f"{label}ContentDisposition must be ATTACHMENT or INLINE.")
        encoding = member.text(item, "ContentTransferEncoding", label) or "BASE64"
        if encoding not in ("BASE64", "QUOTED_PRINTABLE", "SEVEN_BIT"):
            raise bad_request(
                f"{label}ContentTransferEncoding must be BASE64, QUOTED_PRINTABLE or SEVEN_BIT."
            )
        inline = disposition == "INLINE"
        found.append(
            Attachment(
                filename=member.required_text(item, "FileName", label),
                content=_blob(item.get("RawContent"), label + "RawContent"),
                content_type=member.text(item, "ContentType", label) or "",
                content_id=(member.text(item, "ContentId", label) or "fn" + str(index))
                if inline
                else "",
            )
        )
    return tuple(found)


def _simple(simple: dict[str, Any]) -> Parts:
    where = "Content.Simple."
    subject = member.obj(simple, "Subject", where, required=True)
    body = member.obj(simple, "Body", where, required=True)
    text = member.obj(body, "Text", where + "Body.")
    html = member.obj(body, "Html", where + "Body.")
    return Parts(
        sender=("", ""),
        subject=member.required_text(subject, "Data", where + "Subject."),
        text=(member.required_text(text, "Data", where + "Body.Text.") if text else ""),
        html=(member.required_text(html, "Data", where + "Body.Html.") if html else ""),
        headers=_headers(simple, "Headers", where),
        attachments=_attachments(simple, where),
    )


def _destination(body: dict[str, Any], where: str = "") -> tuple[tuple[str, ...], ...]:
    destination = member.obj(body, "Destination", where)
    label = f"{where}Destination."
    return (
        member.texts(destination, "ToAddresses", label),
        member.texts(destination, "CcAddresses", label),
        member.texts(destination, "BccAddresses", label),
    )


def _templated(
    svc: Services, mailbox: str, template: dict[str, Any], data: str | None, where: str
) -> tuple[Parts | None, str | None]:
    """The rendered Parts (None: a Rendering Failure) and the template's name."""
    name = template_name(template, where)
    try:
        content = render_stored(svc, mailbox, template, data, where)
    except RenderingFailureError:
        return None, name
    except TemplateDataError as exc:
        raise bad_request(str(exc)) from None
    parts = Parts(
        sender=("", ""),
        subject=content.subject or "",
        text=content.text or "",
        html=content.html or "",
        headers=_headers(template, "Headers", where),
        attachments=_attachments(template, where),
    )
    return parts, name


async def send_email(request: Request) -> Response:
    svc, caller, body = await begin(request)
    content = member.obj(body, "Content", required=True)
    kinds = [k for k in ("Simple", "Raw", "Template") if content.get(k) is not None]
    if len(kinds) != 1:
        raise bad_request("Content must have exactly one of Simple, Raw or Template.")
    to, cc, bcc = _destination(body)
    sender = member.text(body, "FromEmailAddress")
    out = Outgoing(
        "SendEmail",
        "ses",
        sender or "",
        to,
        cc,
        bcc,
        reply_to=member.texts(body, "ReplyToAddresses"),
        configuration_set=member.text(body, "ConfigurationSetName"),
        tags=tuple(member.pairs(body, "EmailTags", ("Name", "Value"))),
    )
    if kinds == ["Raw"]:
        raw = _blob(member.obj(content, "Raw").get("Data"), "Content.Raw.Data")
        found = raw_addresses(raw) if not (to or cc or bcc) or not sender else None
        out = replace(
            out,
            sender=sender or (found.sender if found else ""),
            to=to or (found.recipients if found else ()),
            raw=raw,
        )
    elif kinds == ["Simple"]:
        out = replace(out, sender=_sender(sender), parts=_simple(member.obj(content, "Simple")))
    else:
        template = member.obj(content, "Template")
        data = member.text(template, "TemplateData", "Content.Template.")
        parts, name = _templated(svc, caller.mailbox, template, data, "Content.Template.")
        out = replace(
            out,
            sender=_sender(sender),
            parts=parts,
            not_sent=parts is None,
            template=name,
            extra={"template_data": data or "{}"},
        )
    return ok({"MessageId": await send(svc, caller, out)})


def _merged_headers(default: dict[str, Any], entry: dict[str, Any], where: str) -> list[Any]:
    """The template's headers with the entry's `ReplacementHeaders`: an entry's header takes
    the place of the template's of the same name, and its others are added (the model's
    BulkEmailEntry.ReplacementHeaders)."""
    ours = member.items(entry, "ReplacementHeaders", where)
    names = {str(h.get("Name", "")).lower() for h in ours if isinstance(h, dict)}
    kept = [
        h
        for h in member.items(default, "Headers", "DefaultContent.Template.")
        if not (isinstance(h, dict) and str(h.get("Name", "")).lower() in names)
    ]
    return [*kept, *ours]


def _sender(sender: str | None) -> str:
    if not sender:
        raise bad_request("FromEmailAddress is required.")
    return sender


async def send_bulk_email(request: Request) -> Response:
    svc, caller, body = await begin(request)
    default = member.obj(member.obj(body, "DefaultContent", required=True), "Template")
    if not default:
        raise bad_request("DefaultContent.Template is required.")
    entries = member.items(body, "BulkEmailEntries")
    if not entries:
        raise bad_request("BulkEmailEntries is required.")
    if len(entries) > MAX_BULK_ENTRIES:
        raise bad_request(f"BulkEmailEntries may have at most {MAX_BULK_ENTRIES} entries.")
    sender = _sender(member.text(body, "FromEmailAddress"))
    default_data = member.text(default, "TemplateData", "DefaultContent.Template.")
    default_tags = member.pairs(body, "DefaultEmailTags", ("Name", "Value"))
    results = []
    for index, entry in enumerate(entries):
        where = f"BulkEmailEntries[{index}]."
        if not isinstance(entry, dict):
            raise bad_request(f"{where[:-1]} must be an object.")
        replacement = member.obj(
            member.obj(entry, "ReplacementEmailContent", where), "ReplacementTemplate", where
        )
        own = member.text(replacement, "ReplacementTemplateData", where)
        data = own if own and own.strip() not in ("", "{}") else default_data
        tags = dict(default_tags) | dict(member.pairs(entry, "ReplacementTags", ("Name", "Value")))
        template = {**default, "Headers": _merged_headers(default, entry, where)}
        try:
            parts, name = _templated(
                svc, caller.mailbox, template, data, "DefaultContent.Template."
            )
            to, cc, bcc = _destination(entry, where)
            out = Outgoing(
                "SendBulkEmail",
                "ses",
                sender,
                to,
                cc,
                bcc,
                reply_to=member.texts(body, "ReplyToAddresses"),
                configuration_set=member.text(body, "ConfigurationSetName"),
                tags=tuple(tags.items()),
                parts=parts,
                not_sent=parts is None,
                template=name,
            )
            results.append({"Status": "SUCCESS", "MessageId": await send(svc, caller, out)})
        except SESError as exc:
            status = BULK_STATUS.get(exc.code, "FAILED")
            if exc.code == "NotFoundException" and "Template" in exc.message:
                status = "TEMPLATE_NOT_FOUND"
            results.append({"Status": status, "Error": exc.message})
    return ok({"BulkEmailEntryResults": results})
