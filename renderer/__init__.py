"""Renders themed auth emails: subject, HTML, plain text and headers, per theme and locale.

Pure: nothing of mailyard's own is imported here, nothing is read from the environment, and the
only files touched are this package's own templates, catalogues, sample themes and logos, loaded
once - and a theme file when `theme_file` is asked to read one.

    from mailyard.renderer import PasswordReset, Theme, render, build_message, sample_theme
    concept = PasswordReset(reset_url="https://auth.example.com/r?token=abc")
    email = render(concept, theme=sample_theme("acme"), locale="de")
    message = build_message(email, sender="no-reply@auth.example.com", to="jane@example.com")
"""

from __future__ import annotations

from mailyard.renderer.concepts import (
    ALIASES,
    CONCEPTS,
    Concept,
    EmailChangeConfirm,
    EmailChangeNotice,
    EmailVerification,
    Invitation,
    LoginCode,
    PasswordReset,
    SecurityNotice,
    Welcome,
    concept_from_vars,
)
from mailyard.renderer.errors import (
    FallbackError,
    HeaderInjectionError,
    RenderError,
    ThemeError,
    VariableError,
)
from mailyard.renderer.i18n import SUPPORTED_LOCALES, Fallback, resolve_locale
from mailyard.renderer.images import InlineImage
from mailyard.renderer.message import build_message, check_header, cid_html
from mailyard.renderer.render import GMAIL_CLIP_BYTES, RenderedEmail, render
from mailyard.renderer.samples import PREVIEW_TOKEN, sample, sample_theme, sample_theme_names
from mailyard.renderer.themes import (
    BUILTIN_THEME,
    FONT_PRESETS,
    Theme,
    resolve_theme,
    theme_file,
    theme_from_dict,
)

__all__ = [
    "ALIASES",
    "BUILTIN_THEME",
    "CONCEPTS",
    "FONT_PRESETS",
    "GMAIL_CLIP_BYTES",
    "PREVIEW_TOKEN",
    "SUPPORTED_LOCALES",
    "Concept",
    "EmailChangeConfirm",
    "EmailChangeNotice",
    "EmailVerification",
    "Fallback",
    "FallbackError",
    "HeaderInjectionError",
    "InlineImage",
    "Invitation",
    "LoginCode",
    "PasswordReset",
    "RenderError",
    "RenderedEmail",
    "SecurityNotice",
    "Theme",
    "ThemeError",
    "VariableError",
    "Welcome",
    "build_message",
    "check_header",
    "cid_html",
    "concept_from_vars",
    "render",
    "resolve_locale",
    "resolve_theme",
    "sample",
    "sample_theme",
    "sample_theme_names",
    "theme_file",
    "theme_from_dict",
]
