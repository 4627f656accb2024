"""The preview gallery: every auth email in every sample theme and locale, light and dark, with
a button that sends a [TEST] copy into this mailyard's own inbox."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mailyard.renderer import (
    CONCEPTS,
    SUPPORTED_LOCALES,
    RenderedEmail,
    RenderError,
    Theme,
    render,
    sample,
    sample_theme,
    sample_theme_names,
)
from mailyard.web.api.params import form_body
from mailyard.web.api.views import HTML_VIEW_CSP, force_scheme
from mailyard.web.errors import RequestError
from mailyard.web.services import services
from mailyard.web.ui.templating import fragment, page

BUILT_IN = "built-in"


def sample_themes() -> dict[str, Theme | None]:
    """The gallery's themes: the built-in one, then every sample that loads."""
    themes: dict[str, Theme | None] = {BUILT_IN: None}
    for name in sample_theme_names():
        try:
            themes[name] = sample_theme(name)
        except (ValueError, RenderError):  # a broken sample is left out of the gallery
            continue
    return themes


def _choice(value: str, allowed: object, field: str) -> str:
    if value not in allowed:  # type: ignore[operator]
        raise RequestError(400, f"unknown {field} {value!r}", field)
    return value


async def gallery(request: Request) -> Response:
    concept = _choice(request.query_params.get("concept", "password-reset"), CONCEPTS, "concept")
    return page(
        "preview.html",
        request,
        concepts=list(CONCEPTS),
        concept=concept,
        themes=list(sample_themes()),
        locales=SUPPORTED_LOCALES,
    )


def _render_sample(request: Request) -> RenderedEmail:
    params = request.query_params
    concept = _choice(params.get("concept", "password-reset"), CONCEPTS, "concept")
    themes = sample_themes()
    theme = themes[_choice(params.get("theme", BUILT_IN), themes, "theme")]
    return render(sample(concept), theme, locale=params.get("locale"), test=True)


async def render_preview(request: Request) -> Response:
    email = _render_sample(request)
    return Response(
        force_scheme(email.html, request.query_params.get("scheme")),
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Security-Policy": HTML_VIEW_CSP,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )


async def send_test(request: Request) -> Response:
    form = await form_body(request)
    themes = sample_themes()
    concept = _choice(form.get("concept", ""), CONCEPTS, "concept")
    theme = themes[_choice(form.get("theme", BUILT_IN), themes, "theme")]
    locale, to = form.get("locale", "en-US"), (form.get("to") or "").strip()
    if not to:
        raise RequestError(400, "say where to send the test: an email address", "to")
    try:
        result = await services(request).sandbox_mailer.send(
            sample(concept), to, theme=theme, locale=locale, test=True
        )
    except RenderError as exc:  # e.g. not an address: the reason names the field
        field = "to" if exc.field in ("To", "to") else exc.field
        raise RequestError(400, str(exc), field) from None
    # A send that failed answers 502 with the same fragment: htmx swaps it (see base.html).
    return fragment("_sent.html", status=502 if result.outcome == "failed" else 200, result=result)
