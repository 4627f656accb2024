"""Tenant themes: the spec's five fields, validated, resolved field by field.

Resolution follows the spec: the client-bound theme, then the service-default theme, then the
built-in defaults (BluAuth's HOSTED_LOGIN_THEME_DEFAULTS), each field on its own, so a client
theme that sets only a colour still gets the default logo, footer and font.

`logoUrl` is an https:// URL, used as it is, or names a logo that ships with mailyard
(`mailyard:logo/acme.png`, see `images`).
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from dataclasses import dataclass, fields, replace
from typing import Any

from mailyard.renderer import colors, images
from mailyard.renderer.errors import ThemeError

# Web fonts do not load in Gmail or Outlook: presets are system stacks only.
FONT_PRESETS = {
    "system": "-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif",
    "helvetica": "'Helvetica Neue', Helvetica, Arial, sans-serif",
    "verdana": "Verdana, Geneva, Tahoma, sans-serif",
    "trebuchet": "'Trebuchet MS', 'Lucida Grande', 'Lucida Sans Unicode', sans-serif",
    "georgia": "Georgia, 'Times New Roman', Times, serif",
}
MAX_NAME = 100
MAX_FOOTER = 500
MAX_URL = 2048
MAX_FILE_BYTES = 64 * 1024  # a theme is a few hundred bytes; refuse to read a large file whole
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
# Bidi overrides and isolates can make "moc.elgoog" read as "google.com".
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Theme:
    """A tenant's branding. Fields left None are filled by `resolve_theme`."""

    name: str | None = None
    primary_color: str | None = None
    logo_url: str | None = None
    footer_text: str | None = None
    font_family_preset: str | None = None
    locale: str | None = None  # the tenant's default locale

    @property
    def font_stack(self) -> str:
        return FONT_PRESETS[self.font_family_preset or "system"]


BUILTIN_THEME = Theme(
    name="mailyard",
    primary_color="#2f5bd3",
    logo_url=None,
    footer_text="You received this email because of an action on your account.",
    font_family_preset="system",
    locale="en-US",
)

# The spec's names (camelCase, as in Theme Studio's JSON) and ours.
_ALIASES = {
    "name": "name",
    "primaryColor": "primary_color",
    "primary_color": "primary_color",
    "logoUrl": "logo_url",
    "logo_url": "logo_url",
    "footerText": "footer_text",
    "footer_text": "footer_text",
    "fontFamilyPreset": "font_family_preset",
    "font_family_preset": "font_family_preset",
    "locale": "locale",
    "defaultLocale": "locale",
}


def theme_from_dict(data: dict[str, Any]) -> Theme:
    """A theme from JSON-like data (spec or snake_case keys); validated, may be partial."""
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("id", "themeId", "description"):
            continue
        name = _ALIASES.get(key)
        if name is None:
            raise ThemeError(f"unknown theme field {key!r}", key)
        if value is not None and not isinstance(value, str):
            raise ThemeError(f"{key} must be a string", key)
        values[name] = value
    return validate(Theme(**values))


def _text(value: str, field: str, limit: int) -> str:
    value = unicodedata.normalize("NFC", value).strip()
    if _CONTROL.search(value) or _BIDI.search(value):
        raise ThemeError(f"{field} must not contain control or bidi-override characters", field)
    if len(value) > limit:
        raise ThemeError(f"{field} is longer than {limit} characters", field)
    return value


def validate(theme: Theme) -> Theme:
    """Check every set field; returns the theme with values normalised."""
    changes: dict[str, Any] = {}
    if theme.name is not None:
        changes["name"] = _text(theme.name, "name", MAX_NAME)
        if not changes["name"]:
            raise ThemeError("name must not be empty", "name")
    if theme.primary_color is not None:
        try:
            changes["primary_color"] = colors.normalize(theme.primary_color.strip())
        except ValueError as exc:
            raise ThemeError(f"primaryColor: {exc}", "primaryColor") from None
    if theme.logo_url is not None:
        changes["logo_url"] = _logo_url(theme.logo_url.strip())
    if theme.footer_text is not None:
        changes["footer_text"] = _text(theme.footer_text, "footerText", MAX_FOOTER)
    if theme.font_family_preset is not None and theme.font_family_preset not in FONT_PRESETS:
        raise ThemeError(
            f"fontFamilyPreset must be one of {', '.join(FONT_PRESETS)}", "fontFamilyPreset"
        )
    if theme.locale is not None and not re.fullmatch(
        r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*", theme.locale
    ):
        raise ThemeError("locale must look like en-US or de", "locale")
    return replace(theme, **changes)


def _logo_url(url: str) -> str:
    if images.is_shipped(url):
        try:
            images.shipped_logo(url)
        except LookupError as exc:
            raise ThemeError(f"logoUrl: {exc}", "logoUrl") from None
        return url
    if not url.startswith("https://") or len(url) > MAX_URL or re.search(r"[\s\"'<>\\]", url):
        shipped = ", ".join(images.SCHEME + name for name in images.shipped_logo_names())
        raise ThemeError(
            f"logoUrl must be an https:// URL without spaces or quotes, or one of {shipped}",
            "logoUrl",
        )
    return url


def theme_file(path: str | os.PathLike[str]) -> Theme:
    """A theme from a JSON file (spec or snake_case keys): ValueError when the file cannot be
    read or holds no JSON object, ThemeError naming the field when a value is wrong."""
    try:
        with open(path, "rb") as source:
            raw = source.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ValueError(f"cannot read theme file {os.fspath(path)}: {exc.strerror}") from None
    return theme_from_json(raw, os.fspath(path))


def theme_from_json(raw: bytes, source: str) -> Theme:
    """A theme from the JSON text of `source` (a file name, shown in errors)."""
    if len(raw) > MAX_FILE_BYTES:
        raise ValueError(f"theme file {source} is larger than {MAX_FILE_BYTES} bytes")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # RecursionError: "[[[[..." nested too deep
        raise ValueError(f"theme file {source} is not UTF-8 JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"theme file {source} must hold a JSON object")
    return theme_from_dict(data)


def resolve_theme(client: Theme | None = None, service_default: Theme | None = None) -> Theme:
    """The theme an email uses: client, else service default, else built in - field by field."""
    chain = [t for t in (client, service_default) if t is not None]
    values = {}
    for f in fields(Theme):
        value = next((getattr(t, f.name) for t in chain if getattr(t, f.name) is not None), None)
        values[f.name] = value if value is not None else getattr(BUILTIN_THEME, f.name)
    return validate(Theme(**values))
