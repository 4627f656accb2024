"""SES email templates: the Handlebars subset SES renders, with SES's failure when data is missing.

SES "is based on the Handlebars template system" (SES developer guide, "Advanced email
personalization"): `{{name}}`, nested `{{contact.firstName}}`, `{{#if}}…{{else}}…{{/if}}`,
`{{#unless}}`, `{{#each list}}…{{this}}…{{/each}}` (with `@index`, `@key`, `@first`, `@last`),
`{{#with}}`, `{{else if …}}`, comments, `~` whitespace control, and inline partials
(`{{#* inline "fullName"}}…{{/inline}}`, then `{{> fullName}}`). Tags alone on their line leave
no blank line behind, as in Handlebars ("standalone" tags).

What SES does differently from handlebars.js, and so what this module does:

- Nothing is HTML-escaped, not even in the HTML part ("SES doesn't escape HTML content when
  rendering the HTML template"); `{{x}}` and `{{{x}}}` are the same.
- A `{{variable}}` whose value is absent or null is a failure, "Attribute 'favoritecolor' is not
  present in the rendering data." — for `SendEmail` SES accepts the call and publishes a
  Rendering Failure event with that `errorMessage` (mailyard accepts it and sends nothing, but
  records no event yet: an event is kept with a stored message, and there is none);
  `TestRenderEmailTemplate` answers it as an error. A missing value in `{{#if x}}`/`{{#each x}}`
  is just false (the guide's own example sends data without `subscription` to a template that
  tests `{{#if subscription}}`).
- `SendBulkEmail`'s default data is a whole-object fallback, not a per-key merge: it is used
  only when an entry's replacement data is absent or `{}` (`bulk_template_data`).

Bounded: a template of at most 500 KB (SES's quota), data of at most 262,144 characters (the
model's cap), blocks nested at most 32 deep, partials at most 8 deep, at most a million
rendering steps and 10 million characters of output per part, so `{{#each}}` inside `{{#each}}`
cannot multiply without limit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mailyard.sandbox.capture.handlebars import Parsed, TemplateSyntaxError, parse
from mailyard.sandbox.capture.handlebars_render import MissingValueError, RenderLimitError, render
from mailyard.sandbox.errors import InvalidInputError

MAX_TEMPLATE_CHARS = 500 * 1024
MAX_TEMPLATE_DATA_CHARS = 262_144

__all__ = [
    "MAX_TEMPLATE_CHARS",
    "MAX_TEMPLATE_DATA_CHARS",
    "CompiledTemplate",
    "RenderLimitError",
    "RenderingFailureError",
    "TemplateContent",
    "TemplateDataError",
    "TemplateSyntaxError",
    "bulk_template_data",
    "compile_template",
    "parse_template_data",
    "render_template",
]


class TemplateDataError(InvalidInputError):
    """`TemplateData` is not a JSON object (v1 `InvalidRenderingParameter`, v2 BadRequest)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="TemplateData")


class RenderingFailureError(InvalidInputError):
    """A variable the template uses has no value: SES's Rendering Failure, in SES's words."""

    def __init__(self, attribute: str, template_name: str | None = None) -> None:
        super().__init__(
            f"Attribute '{attribute}' is not present in the rendering data.", field="TemplateData"
        )
        self.attribute = attribute
        self.template_name = template_name


@dataclass(frozen=True)
class TemplateContent:
    """A template's parts (v2 `Subject`/`Text`/`Html`, v1 `SubjectPart`/…); any may be absent."""

    subject: str | None = None
    text: str | None = None
    html: str | None = None


@dataclass(frozen=True)
class CompiledTemplate:
    """A template parsed once (at create/update time) and rendered for every send."""

    name: str | None
    subject: Parsed | None
    text: Parsed | None
    html: Parsed | None


def compile_template(content: TemplateContent, name: str | None = None) -> CompiledTemplate:
    """Parse each part; a `TemplateSyntaxError` names the part (`Subject`, `Text`, `Html`)."""
    size = sum(len(part) for part in (content.subject, content.text, content.html) if part)
    if size > MAX_TEMPLATE_CHARS:
        raise TemplateSyntaxError(
            f"The template is {size} characters; SES allows at most {MAX_TEMPLATE_CHARS}.",
            field="TemplateContent",
        )

    def one(source: str | None, part: str) -> Parsed | None:
        return None if source is None else parse(source, part=part)

    return CompiledTemplate(
        name=name,
        subject=one(content.subject, "Subject"),
        text=one(content.text, "Text"),
        html=one(content.html, "Html"),
    )


def parse_template_data(raw: str | None) -> dict[str, Any]:
    """`TemplateData` is a JSON object in a string; anything else is refused."""
    if raw is None or raw == "":
        return {}
    if len(raw) > MAX_TEMPLATE_DATA_CHARS:
        raise TemplateDataError(
            f"TemplateData is {len(raw)} characters; SES allows at most {MAX_TEMPLATE_DATA_CHARS}."
        )
    try:
        data = json.loads(raw)
    except RecursionError:  # absurdly deep nesting: refuse instead of crashing
        raise TemplateDataError("TemplateData is nested too deeply.") from None
    except json.JSONDecodeError as error:
        raise TemplateDataError(f"TemplateData is not valid JSON: {error.msg}.") from None
    if not isinstance(data, dict):
        raise TemplateDataError("TemplateData must be a JSON object.")
    return data


def bulk_template_data(default: str | None, replacement: str | None) -> dict[str, Any]:
    """One `SendBulkEmail` entry's data: its own, or the default when its own is absent or `{}`."""
    own = parse_template_data(replacement)
    return own if own else parse_template_data(default)


def render_template(template: CompiledTemplate, data: Mapping[str, Any]) -> TemplateContent:
    """Render every part; the first missing variable raises `RenderingFailureError`."""

    def one(parsed: Parsed | None) -> str | None:
        if parsed is None:
            return None
        try:
            return render(parsed, data)
        except MissingValueError as missing:
            raise RenderingFailureError(missing.attribute, template.name) from None

    return TemplateContent(
        subject=one(template.subject), text=one(template.text), html=one(template.html)
    )
