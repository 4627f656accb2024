"""Renders themed auth emails: subject, HTML, plain text and headers, per theme and locale.

Pure: nothing of mailyard's own is imported here, nothing is read from the environment, and the
only files touched are this package's own templates and catalogues, loaded once.

    from mailyard.renderer import PasswordReset, Theme, render, build_message
    concept = PasswordReset(reset_url="https://auth.example.com/r?token=abc")
    email = render(concept, theme=Theme(name="Acme"), locale="de")
    message = build_message(email, sender="no-reply@auth.example.com", to="jane@example.com")
"""

from __future__ import annotations

from mailyard.renderer.concepts import (
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
from mailyard.renderer.errors import HeaderInjectionError, RenderError, ThemeError, VariableError
from mailyard.renderer.i18n import SUPPORTED_LOCALES, resolve_locale
from mailyard.renderer.message import build_message, check_header
from mailyard.renderer.render import RenderedEmail, render
from mailyard.renderer.themes import (
    BUILTIN_THEME,
    FONT_PRESETS,
    Theme,
    resolve_theme,
    theme_from_dict,
)

__all__ = [
    "BUILTIN_THEME",
    "CONCEPTS",
    "FONT_PRESETS",
    "SUPPORTED_LOCALES",
    "Concept",
    "EmailChangeConfirm",
    "EmailChangeNotice",
    "EmailVerification",
    "HeaderInjectionError",
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
    "concept_from_vars",
    "render",
    "resolve_locale",
    "resolve_theme",
    "theme_from_dict",
]
