"""Locales: which one an email is rendered in, its catalogue, and how it writes dates and durations.

Catalogues are gettext `.po` files under `renderer/locales/<locale>/LC_MESSAGES/mailyard.po`, the
form translators edit; they are compiled in memory with Babel on first use. A string missing
from a catalogue (or left empty, or marked fuzzy) falls back to English for that string.
"""

from __future__ import annotations

import gettext
import io
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DEFAULT_LOCALE = "en-US"
SUPPORTED_LOCALES = ("en-US", "de", "fr", "es", "ja", "ar")
DOMAIN = "mailyard"


def _language(tag: str) -> str:
    return tag.replace("_", "-").split("-")[0].lower()


def resolve_locale(*candidates: str | None) -> str:
    """The first candidate we ship (recipient's, then tenant's), matched by language; else en-US.

    `de-AT` is rendered as `de`: the catalogue is German, the `lang` attribute says `de-AT`.
    """
    for tag in candidates:
        if not tag:
            continue
        wanted = _language(tag)
        for supported in SUPPORTED_LOCALES:
            if _language(supported) == wanted:
                return tag.replace("_", "-")
    return DEFAULT_LOCALE


def catalogue_for(tag: str) -> str:
    """The shipped catalogue serving `tag`."""
    wanted = _language(tag)
    return next((s for s in SUPPORTED_LOCALES if _language(s) == wanted), DEFAULT_LOCALE)


@cache
def translations(tag: str) -> gettext.NullTranslations:
    """The compiled catalogue for `tag` (English needs none: the source strings are English)."""
    name = catalogue_for(tag)
    if _language(name) == "en":
        return gettext.NullTranslations()
    source = resources.files("renderer") / "locales" / name / "LC_MESSAGES" / f"{DOMAIN}.po"
    with source.open("rb") as po:
        catalog = read_po(po, locale=name.replace("-", "_"))
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


@cache
def babel_locale(tag: str) -> Locale:
    try:
        return Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(catalogue_for(tag).replace("-", "_"))


def direction(tag: str) -> str:
    """`rtl` or `ltr`."""
    return "rtl" if babel_locale(tag).character_order == "right-to-left" else "ltr"


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def when(moment: datetime, tag: str, tz: str | None) -> str:
    """`April 23, 2026, 2:00 AM CEST`: the locale's long date and short time, in the recipient's
    zone (UTC when unknown), with the zone's abbreviation."""
    locale = babel_locale(tag)
    local = moment.astimezone(zone(tz))
    pattern = str(locale.datetime_formats["long"])
    text = pattern.format(
        format_time(local, "short", locale=locale), format_date(local, "long", locale=locale)
    )
    return f"{text} {local.strftime('%Z')}"


def how_long(span: timedelta, tag: str) -> str:
    """`1 hour`, `10 Minuten`, `1 日`."""
    return format_timedelta(span, locale=babel_locale(tag))
