"""The exceptions the renderer raises, in one tree.

RenderError
├── ThemeError            a theme value is invalid; `.field` names it
├── VariableError         a template variable is missing or invalid; `.field` names it
├── FallbackError         render(strict=True): the locale or time zone asked for is not known
└── HeaderInjectionError  a header value would carry CR/LF (or an encoded one)
"""

from __future__ import annotations


class RenderError(Exception):
    """Base class of every error the renderer raises on purpose."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ThemeError(RenderError):
    """A theme value cannot be used."""


class VariableError(RenderError):
    """A variable of an email concept is missing, unknown or invalid."""


class FallbackError(RenderError):
    """Strict rendering refused to fall back: `.field` is `locale` or `timezone`."""


class HeaderInjectionError(RenderError):
    """A header value contains a line break, raw or RFC 2047-encoded."""
