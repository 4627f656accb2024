"""SES v2's email templates: CRUD, `TestRenderEmailTemplate`, and rendering one for a send.

    POST   /v2/email/templates                         CreateEmailTemplate
    GET    /v2/email/templates                         ListEmailTemplates
    GET    /v2/email/templates/{TemplateName}          GetEmailTemplate
    PUT    /v2/email/templates/{TemplateName}          UpdateEmailTemplate
    DELETE /v2/email/templates/{TemplateName}          DeleteEmailTemplate
    POST   /v2/email/templates/{TemplateName}/render   TestRenderEmailTemplate

A template is parsed when it is created or updated (a syntax error is `BadRequestException`
naming the part) and again for each send; the language is SES's (`sandbox.capture.ses_templates`).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mailyard.sandbox import (
    InvalidInputError,
    TemplateContent,
    compile_template,
    parse_template_data,
    render_template,
    rendered_template,
)
from mailyard.web.emulate import ses_wire as member
from mailyard.web.emulate.ses_account import TEMPLATE
from mailyard.web.emulate.ses_errors import already_exists, bad_request, template_missing
from mailyard.web.emulate.sesv2_io import begin, listing, ok
from mailyard.web.services import Services


def content_of(body: dict[str, Any], where: str) -> TemplateContent:
    content = member.obj(body, "TemplateContent", where, required=True)
    label = f"{where}TemplateContent."
    return TemplateContent(
        subject=member.text(content, "Subject", label),
        text=member.text(content, "Text", label),
        html=member.text(content, "Html", label),
    )


def content_json(content: TemplateContent) -> dict[str, str]:
    pairs = (("Subject", content.subject), ("Text", content.text), ("Html", content.html))
    return {k: v for k, v in pairs if v is not None}


def _compile(content: TemplateContent, name: str | None) -> Any:
    try:
        return compile_template(content, name)
    except InvalidInputError as exc:
        raise bad_request(str(exc)) from None


def template_name(template: dict[str, Any], where: str) -> str | None:
    """The stored template a send names (`TemplateName`, or the name in `TemplateArn`)."""
    name = member.text(template, "TemplateName", where)
    arn = member.text(template, "TemplateArn", where)
    if name is None and arn is not None:
        name = arn.rpartition("/")[2] or None
    return name


def render_stored(
    svc: Services, mailbox: str, template: dict[str, Any], data: str | None, where: str
) -> TemplateContent:
    """Render a send's template (stored, or given inline as `TemplateContent`) with `data`.
    Raises RenderingFailureError for a missing variable, TemplateDataError for bad data."""
    name = template_name(template, where)
    if template.get("TemplateContent") is not None:
        content = content_of(template, where)
    elif name is not None:
        stored = svc.emulators.repo.get(mailbox, TEMPLATE, name)
        if stored is None:
            raise template_missing(name)
        content = TemplateContent(**_lower(stored["TemplateContent"]))
    else:
        raise bad_request(f"{where}TemplateName, TemplateArn or TemplateContent is required.")
    return render_template(_compile(content, name), parse_template_data(data))


def _lower(content: dict[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in content.items()}


def _name(request: Request) -> str:
    return str(request.path_params["TemplateName"])


async def create_template(request: Request) -> Response:
    svc, caller, body = await begin(request)
    name = member.required_text(body, "TemplateName")
    content = content_of(body, "")
    _compile(content, name)
    document = {
        "TemplateName": name,
        "TemplateContent": content_json(content),
        "Tags": [{"Key": k, "Value": v} for k, v in member.pairs(body, "Tags", ("Key", "Value"))],
    }
    created = await svc.emulators.repo.create(
        caller.mailbox, TEMPLATE, name, document, svc.clock.now()
    )
    if not created:
        raise already_exists(f"Template {name} already exists.")
    return ok()


async def get_template(request: Request) -> Response:
    svc, caller, _ = await begin(request)
    document = svc.emulators.repo.get(caller.mailbox, TEMPLATE, _name(request))
    if document is None:
        raise template_missing(_name(request))
    return ok(document)


async def list_templates(request: Request) -> Response:
    svc, caller, body = await begin(request)
    token, size = listing(request, body)
    limit = member.page_size(size, default=10, maximum=100)
    found = svc.emulators.repo.documents(caller.mailbox, TEMPLATE, after=token, limit=limit + 1)
    metadata = [{"TemplateName": d.name, "CreatedTimestamp": d.created} for d in found[:limit]]
    return ok(
        {
            "TemplatesMetadata": metadata,
            "NextToken": found[limit - 1].name if len(found) > limit else None,
        }
    )


async def update_template(request: Request) -> Response:
    svc, caller, body = await begin(request)
    name = _name(request)
    document = svc.emulators.repo.get(caller.mailbox, TEMPLATE, name)
    if document is None:
        raise template_missing(name)
    content = content_of(body, "")
    _compile(content, name)
    document["TemplateContent"] = content_json(content)
    await svc.emulators.repo.replace(caller.mailbox, TEMPLATE, name, document)
    return ok()


async def delete_template(request: Request) -> Response:
    svc, caller, _ = await begin(request)
    if not await svc.emulators.repo.delete(caller.mailbox, TEMPLATE, _name(request)):
        raise template_missing(_name(request))
    return ok()


async def test_render_template(request: Request) -> Response:
    svc, caller, body = await begin(request)
    data = member.required_text(body, "TemplateData")
    try:
        content = render_stored(svc, caller.mailbox, {"TemplateName": _name(request)}, data, "")
    except InvalidInputError as exc:  # a missing variable, bad data: SES's texts
        raise bad_request(str(exc)) from None
    rendered = rendered_template(
        content.subject or "", content.text or "", content.html or "", date=svc.clock.now()
    )
    return ok({"RenderedTemplate": rendered})
