"""SES v1's template and configuration-set actions, over the same documents as v2's (a template
made with v1's CreateTemplate is v2's template of that name, and the other way round)."""

from __future__ import annotations

from mailyard.sandbox import InvalidInputError, TemplateContent, compile_template, rendered_template
from mailyard.web.emulate.ses_account import CONFIGURATION_SET, TEMPLATE
from mailyard.web.emulate.ses_errors import SESError, template_missing
from mailyard.web.emulate.ses_v1_xml import Form, Xml, element, required, timestamp
from mailyard.web.emulate.ses_wire import Caller
from mailyard.web.emulate.sesv2_configsets import valid_name
from mailyard.web.emulate.sesv2_templates import content_json, render_stored
from mailyard.web.services import Services

MAX_ITEMS = 1000


def _template_form(form: Form) -> tuple[str, TemplateContent]:
    name = required(form, "Template.TemplateName")
    content = TemplateContent(
        subject=form.get("Template.SubjectPart"),
        text=form.get("Template.TextPart"),
        html=form.get("Template.HtmlPart"),
    )
    try:
        compile_template(content, name)
    except InvalidInputError as exc:
        raise SESError("InvalidTemplate", 400, str(exc)) from None
    return name, content


async def create_template(svc: Services, caller: Caller, form: Form) -> Xml:
    name, content = _template_form(form)
    document = {"TemplateName": name, "TemplateContent": content_json(content), "Tags": []}
    if not await svc.emulators.repo.create(
        caller.mailbox, TEMPLATE, name, document, svc.clock.now()
    ):
        raise SESError("AlreadyExists", 400, f"Template {name} already exists.")
    return ""


async def update_template(svc: Services, caller: Caller, form: Form) -> Xml:
    name, content = _template_form(form)
    repo = svc.emulators.repo
    document = repo.get(caller.mailbox, TEMPLATE, name)
    if document is None:
        raise template_missing(name)
    document["TemplateContent"] = content_json(content)
    await repo.replace(caller.mailbox, TEMPLATE, name, document)
    return ""


async def get_template(svc: Services, caller: Caller, form: Form) -> Xml:
    name = required(form, "TemplateName")
    document = svc.emulators.repo.get(caller.mailbox, TEMPLATE, name)
    if document is None:
        raise template_missing(name)
    content = document["TemplateContent"]
    inner = (
        element("TemplateName", name)
        + element("SubjectPart", content.get("Subject"))
        + element("TextPart", content.get("Text"))
        + element("HtmlPart", content.get("Html"))
    )
    return f"<Template>{inner}</Template>"


async def delete_template(svc: Services, caller: Caller, form: Form) -> Xml:
    await svc.emulators.repo.delete(caller.mailbox, TEMPLATE, required(form, "TemplateName"))
    return ""  # SES answers success for an unknown template too (the model lists no error)


def _max_items(form: Form) -> int:
    text = form.get("MaxItems") or str(MAX_ITEMS)
    if not text.isdigit() or not 1 <= int(text) <= MAX_ITEMS:
        raise SESError("InvalidParameterValue", 400, f"MaxItems must be 1 to {MAX_ITEMS}")
    return int(text)


async def list_templates(svc: Services, caller: Caller, form: Form) -> Xml:
    limit = _max_items(form)
    found = svc.emulators.repo.documents(
        caller.mailbox, TEMPLATE, after=form.get("NextToken", ""), limit=limit + 1
    )
    items = "".join(
        f"<member>{element('Name', d.name)}{element('CreatedTimestamp', timestamp(d.created))}"
        "</member>"
        for d in found[:limit]
    )
    token = found[limit - 1].name if len(found) > limit else None
    return f"<TemplatesMetadata>{items}</TemplatesMetadata>" + element("NextToken", token)


async def test_render_template(svc: Services, caller: Caller, form: Form) -> Xml:
    name = required(form, "TemplateName")
    data = required(form, "TemplateData")
    try:
        content = render_stored(svc, caller.mailbox, {"TemplateName": name}, data, "")
    except InvalidInputError as exc:
        code = (
            "MissingRenderingAttribute"
            if "is not present" in str(exc)
            else ("InvalidRenderingParameter")
        )
        raise SESError(code, 400, str(exc)) from None
    rendered = rendered_template(
        content.subject or "", content.text or "", content.html or "", date=svc.clock.now()
    )
    return element("RenderedTemplate", rendered)


# -- configuration sets -----------------------------------------------------------------------


def _missing(name: str) -> SESError:
    return SESError(
        "ConfigurationSetDoesNotExist", 400, f"Configuration set <{name}> does not exist."
    )


async def create_configuration_set(svc: Services, caller: Caller, form: Form) -> Xml:
    name = required(form, "ConfigurationSet.Name")
    try:
        valid_name(name)
    except SESError as exc:
        raise SESError("InvalidConfigurationSet", 400, exc.message) from None
    document = {"ConfigurationSetName": name, "EventDestinations": {}, "Tags": []}
    if not await svc.emulators.repo.create(
        caller.mailbox, CONFIGURATION_SET, name, document, svc.clock.now()
    ):
        raise SESError(
            "ConfigurationSetAlreadyExists", 400, f"Configuration set <{name}> already exists."
        )
    return ""


async def describe_configuration_set(svc: Services, caller: Caller, form: Form) -> Xml:
    name = required(form, "ConfigurationSetName")
    if svc.emulators.repo.get(caller.mailbox, CONFIGURATION_SET, name) is None:
        raise _missing(name)
    return f"<ConfigurationSet>{element('Name', name)}</ConfigurationSet>"


async def list_configuration_sets(svc: Services, caller: Caller, form: Form) -> Xml:
    limit = _max_items(form)
    found = svc.emulators.repo.documents(
        caller.mailbox, CONFIGURATION_SET, after=form.get("NextToken", ""), limit=limit + 1
    )
    items = "".join(f"<member>{element('Name', d.name)}</member>" for d in found[:limit])
    token = found[limit - 1].name if len(found) > limit else None
    return f"<ConfigurationSets>{items}</ConfigurationSets>" + element("NextToken", token)


async def delete_configuration_set(svc: Services, caller: Caller, form: Form) -> Xml:
    name = required(form, "ConfigurationSetName")
    if not await svc.emulators.repo.delete(caller.mailbox, CONFIGURATION_SET, name):
        raise _missing(name)
    return ""
