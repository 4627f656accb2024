"""The spec's email-test: preview any auth email, or send a [TEST] copy through the real path.

`POST /api/v1/email-test` takes BluAuth's body (`emailConcept`, `recipientEmail`, `previewOnly`,
`themeId`) plus mailyard's `theme` (an inline theme object), `locale` and `variables`. Links
carry the placeholder token `test-preview-token-000`; sends are prefixed [TEST] and go through
the configured delivery (the sandbox by default), with the same not-configured rule as real
sends: nothing leaves, the answer is still success, and the outcome says why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mailyard.renderer import CONCEPTS, RenderError, Theme, render, theme_from_dict
from mailyard.renderer.concepts import ALIASES
from mailyard.renderer.samples import sample
from mailyard.web.api.params import json_body
from mailyard.web.errors import RequestError
from mailyard.web.samples import sample_theme

if TYPE_CHECKING:
    from mailyard.web.app import Context


def routes(ctx: Context) -> list[Route]:
    async def email_test(request: Request) -> Response:
        body = await json_body(request)
        concept = body.get("emailConcept")
        if not isinstance(concept, str) or (concept not in CONCEPTS and concept not in ALIASES):
            raise RequestError(
                400, f"emailConcept must be one of {', '.join(CONCEPTS)}", "emailConcept"
            )
        recipient = body.get("recipientEmail")
        preview_only = body.get("previewOnly", False)
        if not isinstance(preview_only, bool):
            raise RequestError(400, "previewOnly must be true or false", "previewOnly")
        if not preview_only and (not isinstance(recipient, str) or "@" not in recipient):
            raise RequestError(400, "recipientEmail must be an email address", "recipientEmail")
        locale = body.get("locale")
        if locale is not None and not isinstance(locale, str):
            raise RequestError(400, "locale must be a string", "locale")
        variables = body.get("variables") or {}
        if not isinstance(variables, dict):
            raise RequestError(400, "variables must be an object", "variables")
        try:
            theme = _theme(body)
            context = sample(concept, variables)
            if preview_only:
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
        result = await ctx.mailer().send(
            context, str(recipient), theme=theme, locale=locale, test=True
        )
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
                },
            },
            status_code=200 if result.ok else 502,
        )

    return [Route("/api/v1/email-test", email_test, methods=["POST"])]


def _theme(body: dict[str, Any]) -> Theme | None:
    inline = body.get("theme")
    if inline is not None:
        if not isinstance(inline, dict):
            raise RequestError(400, "theme must be an object", "theme")
        return theme_from_dict(inline)
    theme_id = body.get("themeId")
    if theme_id is None:
        return None
    if not isinstance(theme_id, str):
        raise RequestError(400, "themeId must be a string", "themeId")
    try:
        return sample_theme(theme_id)  # a name only: the API never reads a path it is given
    except LookupError as exc:
        raise RequestError(400, str(exc), "themeId") from None
    except ValueError as exc:
        raise RequestError(400, str(exc), "themeId") from None
