"""The spec's email-test, and the send behind `mailyard send`.

`POST /api/v1/email-test` takes BluAuth's body (`emailConcept`, `recipientEmail`, `previewOnly`,
`themeId`) plus mailyard's `theme` (an inline theme object), `locale` and `variables`. Links
carry the placeholder token `test-preview-token-000`; sends are prefixed [TEST] and go through
the configured delivery (the sandbox by default), with the same not-configured rule as real
sends: nothing leaves, the answer is still success, and the outcome says why.

`POST /api/v1/outbound` is what `mailyard send` asks a running server to do: render a concept
and send it through this server's delivery, so the outcome lands in this server's send log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mailyard.renderer import (
    ALIASES,
    CONCEPTS,
    RenderError,
    Theme,
    render,
    sample,
    sample_theme,
    theme_from_dict,
)
from mailyard.sandbox import MODES, Mailer, SendResult
from mailyard.web.api.describe import ERROR, json_body, json_response, obj, operation
from mailyard.web.api.params import read_json
from mailyard.web.errors import RequestError
from mailyard.web.outbound import build_mailer, with_overrides
from mailyard.web.services import Services, services

_ANY = {"type": "object"}
_OPTIONAL_OBJECT = {"type": ["object", "null"]}
_OPTIONAL_TEXT = {"type": ["string", "null"]}
_OPTIONAL_FLAG = {"type": ["boolean", "null"]}
_CONCEPT = {"enum": [*CONCEPTS, *ALIASES]}
_EMAIL = {"type": "string", "format": "email"}


def _concept(body: dict[str, Any], key: str) -> str:
    concept = body.get(key)
    if not isinstance(concept, str) or (concept not in CONCEPTS and concept not in ALIASES):
        raise RequestError(400, f"{key} must be one of {', '.join(CONCEPTS)}", key)
    return concept


def _optional_text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise RequestError(400, f"{key} must be a string", key)
    return value


def _flag(body: dict[str, Any], key: str) -> bool:
    value = body.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise RequestError(400, f"{key} must be true or false", key)
    return value


def _variables(body: dict[str, Any]) -> dict[str, Any]:
    variables = body.get("variables") or {}
    if not isinstance(variables, dict):
        raise RequestError(400, "variables must be an object", "variables")
    return variables


def _recipient(body: dict[str, Any], key: str) -> str:
    recipient = body.get(key)
    if not isinstance(recipient, str) or "@" not in recipient:
        raise RequestError(400, f"{key} must be an email address", key)
    return recipient


def request_theme(body: dict[str, Any]) -> Theme | None:
    """The theme a body names: `theme` (an inline object) or `themeId` (a sample theme)."""
    inline = body.get("theme")
    if inline is not None:
        if not isinstance(inline, dict):
            raise RequestError(400, "theme must be an object", "theme")
        return theme_from_dict(inline)
    theme_id = _optional_text(body, "themeId")
    if theme_id is None:
        return None
    try:
        return sample_theme(theme_id)  # a name only: the API never reads a path it is given
    except (LookupError, ValueError) as exc:
        raise RequestError(400, str(exc), "themeId") from None


def _outcome(result: SendResult, concept: str) -> Response:
    return JSONResponse(
        {
            "success": result.ok,
            "data": {
                "outcome": result.outcome,
                "provider": result.provider,
                "messageId": result.message_id,
                "subject": result.subject,
                "theme": result.theme,
                "emailConcept": concept,
                "reason": result.reason,
                "errorCode": result.error_code,
                "missing": list(result.missing),
                "durationMs": result.duration_ms,
                "attempts": result.attempts,
                "recipient": result.recipient,
            },
        },
        status_code=200 if result.ok else 502,
    )


@operation(
    "The spec's email-test: preview an auth email, or send a [TEST] copy",
    description="BluAuth's body: emailConcept, recipientEmail, previewOnly, themeId (a sample "
    "theme name); plus theme (inline object), locale, variables. Links carry "
    "test-preview-token-000. Sends go through the configured delivery; a provider that is not "
    "configured answers success with outcome skipped.",
    body=json_body(
        {
            **obj(
                emailConcept=_CONCEPT,
                recipientEmail=_EMAIL,
                previewOnly=_OPTIONAL_FLAG,
                themeId=_OPTIONAL_TEXT,
                theme=_OPTIONAL_OBJECT,
                locale=_OPTIONAL_TEXT,
                variables=_OPTIONAL_OBJECT,
            ),
            "required": ["emailConcept"],
        },
        required=True,
    ),
    responses={
        "200": json_response(obj(success={"type": "boolean"}, data=_ANY)),
        "400": ERROR,
        "502": json_response(_ANY, "The provider refused the send"),
    },
)
async def email_test(request: Request) -> Response:
    return await run_email_test(await read_json(request), services(request).mailer)


ThemeOf = Callable[[dict[str, Any]], Theme | None]


async def run_email_test(
    body: dict[str, Any], mailer: Mailer, theme_of: ThemeOf = request_theme
) -> Response:
    """The spec's email-test on a parsed body: a preview, or a [TEST] send through `mailer`.
    Shared by this route and the reference auth service's admin route, which looks themes up
    among its tenants (`theme_of`) and adds the admin check and a rate limit in front."""
    concept = _concept(body, "emailConcept")
    preview_only = _flag(body, "previewOnly")
    recipient = None if preview_only else _recipient(body, "recipientEmail")
    locale = _optional_text(body, "locale")
    try:
        theme = theme_of(body)
        context = sample(concept, _variables(body))
        if recipient is None:
            email = render(context, theme, locale=locale, test=True)
            return JSONResponse(
                {
                    "success": True,
                    "data": {
                        "html": email.html,
                        "text": email.text,
                        "subject": email.subject,
                        "theme": email.from_name,
                        "emailConcept": concept,
                        "locale": email.locale,
                    },
                }
            )
    except RenderError as exc:
        raise RequestError(400, str(exc), exc.field or "variables") from None
    result = await mailer.send(context, recipient, theme=theme, locale=locale, test=True)
    return _outcome(result, concept)


@operation(
    "mailyard: render an auth email and send it through this server's delivery",
    description="What `mailyard send` asks a running server to do, so the outcome is in this "
    "server's send log and status page. Unset variables take sample values.",
    body=json_body(
        {
            **obj(
                concept=_CONCEPT,
                to=_EMAIL,
                theme=_OPTIONAL_OBJECT,
                themeId=_OPTIONAL_TEXT,
                locale=_OPTIONAL_TEXT,
                timezone=_OPTIONAL_TEXT,
                variables=_OPTIONAL_OBJECT,
                test=_OPTIONAL_FLAG,
                via={"enum": [*MODES, None]},
                dryRun=_OPTIONAL_FLAG,
            ),
            "required": ["concept", "to"],
        },
        required=True,
    ),
    responses={
        "200": json_response(obj(success={"type": "boolean"}, data=_ANY)),
        "400": ERROR,
        "502": json_response(_ANY, "The provider refused the send"),
    },
)
async def outbound(request: Request) -> Response:
    body = await read_json(request)
    concept = _concept(body, "concept")
    recipient = _recipient(body, "to")
    try:
        theme = request_theme(body)
        context = sample(concept, _variables(body))
    except RenderError as exc:
        raise RequestError(400, str(exc), exc.field or "variables") from None
    via = _optional_text(body, "via")
    if via is not None and via not in MODES:
        raise RequestError(400, f"via must be one of {', '.join(MODES)}", "via")
    mailer = _mailer(services(request), via, _flag(body, "dryRun"))
    result = await mailer.send(
        context,
        recipient,
        theme=theme,
        locale=_optional_text(body, "locale"),
        timezone=_optional_text(body, "timezone"),
        test=_flag(body, "test"),
    )
    return _outcome(result, concept)


def _mailer(svc: Services, via: str | None, dry_run: bool) -> Mailer:
    """The configured mailer, or one for this send's own route or dry run."""
    if via is None and not dry_run:
        return svc.mailer
    config = with_overrides(
        svc.delivery, via=via, dry_run=dry_run, aws_profile=svc.settings.aws_profile
    )
    return build_mailer(config, svc.store, svc.http, log_format=svc.settings.log_format)
