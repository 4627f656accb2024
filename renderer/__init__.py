"""Renders themed auth emails: subject, HTML, plain text and headers, per theme and locale.

Pure: nothing of mailyard's own is imported here, nothing is read from the environment, and the
only files touched are this package's own templates, catalogues, sample themes and logos, loaded
once - and a theme file when `theme_file` is asked to read one.

    from mailyard.renderer import PasswordReset, Theme, render, build_message, sample_theme
    concept = PasswordReset(reset_url="https://auth.example.com/r?token=abc")
    email = render(concept, theme=sample_theme("acme"), locale="de")
    message = build_message(email, sender="no-reply@auth.example.com", to="jane@example.com")

The names load on first use (`_WHERE` says from which module), so a process that never renders
(`mailyard serve` until its first auth email) does not pay for the templates, catalogues and
the email package at start (issue 10).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_WHERE = {
    "ALIASES": "concepts",
    "CONCEPTS": "concepts",
    "Concept": "concepts",
    "EmailChangeConfirm": "concepts",
    "EmailChangeNotice": "concepts",
    "EmailVerification": "concepts",
    "Invitation": "concepts",
    "LoginCode": "concepts",
    "PasswordReset": "concepts",
    "SecurityNotice": "concepts",
    "Welcome": "concepts",
    "concept_from_vars": "concepts",
    "FallbackError": "errors",
    "HeaderInjectionError": "errors",
    "RenderError": "errors",
    "ThemeError": "errors",
    "VariableError": "errors",
    "SUPPORTED_LOCALES": "i18n",
    "Fallback": "i18n",
    "resolve_locale": "i18n",
    "InlineImage": "images",
    "build_message": "message",
    "check_header": "message",
    "cid_html": "message",
    "GMAIL_CLIP_BYTES": "render",
    "RenderedEmail": "render",
    "render": "render",
    "PREVIEW_TOKEN": "samples",
    "sample": "samples",
    "sample_theme": "samples",
    "sample_theme_names": "samples",
    "BUILTIN_THEME": "themes",
    "FONT_PRESETS": "themes",
    "Theme": "themes",
    "resolve_theme": "themes",
    "theme_file": "themes",
    "theme_from_dict": "themes",
}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'mailyard.renderer' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"mailyard.renderer.{where}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


class _Package(types.ModuleType):
    """This package, keeping its exported names: importing a submodule sets it as an attribute
    of its package, and the module `render` would then hide the function `render` it exports."""

    def __setattr__(self, name: str, value: object) -> None:
        if name in _WHERE and isinstance(value, types.ModuleType):
            return  # `render` stays the function, loaded by __getattr__ when first asked for
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
