"""Locales: which one an email is rendered in, its catalogue, and how it writes dates and durations.

Catalogues are gettext `.po` files under `renderer/locales/<locale>/LC_MESSAGES/mailyard.po`, the
form translators edit; they are compiled in memory with Babel on first use. A string missing
from a catalogue (or left empty, or marked fuzzy) falls back to English for that string.
"""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

if TYPE_CHECKING:
    from babel import Locale

DEFAULT_LOCALE = "en-US"
SUPPORTED_LOCALES = ("en-US", "de", "fr", "es", "ja", "ar")
DOMAIN = "mailyard"


def _language(tag: str) -> str:
    return tag.replace("_", "-").split("-")[0].lower()


def supported(tag: str) -> bool:
    """Whether a catalogue we ship serves `tag` (by language: `de-AT` is served by `de`)."""
    wanted = _language(tag)
    return any(_language(s) == wanted for s in SUPPORTED_LOCALES)


def resolve_locale(*candidates: str | None) -> str:
    """The first candidate we ship (recipient's, then tenant's), matched by language; else en-US.

    `de-AT` is rendered as `de`: the catalogue is German, the `lang` attribute says `de-AT`.
    """
    return next((t.replace("_", "-") for t in candidates if t and supported(t)), DEFAULT_LOCALE)


@dataclass(frozen=True)
class Fallback:
    """A locale or time zone that was asked for and not used, and what was used instead."""

    field: str  # `locale` or `timezone`
    requested: str
    used: str
    message: str  # what was asked for, what was used instead, and what would have worked
    problem: str = ""  # the same without what was used: for a caller that refuses to fall back

    def __str__(self) -> str:
        return self.message


def _shown(value: str) -> str:
    return repr(value[:40] + ("…" if len(value) > 40 else ""))


def locale_fallbacks(recipient: str | None, tenant: str | None) -> tuple[Fallback, ...]:
    """The locales asked for that `resolve_locale(recipient, tenant)` could not use."""
    used = resolve_locale(recipient, tenant)
    listed = f"(supported: {', '.join(SUPPORTED_LOCALES)})"
    found = []
    if recipient and not supported(recipient):
        whose = ", the theme's locale" if tenant and supported(tenant) else ""
        message = f"locale {_shown(recipient)} is not supported; used {used}{whose} {listed}"
        problem = f"locale {_shown(recipient)} is not supported {listed}"
        found.append(Fallback("locale", recipient, used, message, problem))
    if tenant and not supported(tenant) and not (recipient and supported(recipient)):
        message = f"the theme's locale {_shown(tenant)} is not supported; used {used} {listed}"
        problem = f"the theme's locale {_shown(tenant)} is not supported {listed}"
        found.append(Fallback("locale", tenant, used, message, problem))
    return tuple(found)


def zone_fallbacks(name: str | None) -> tuple[Fallback, ...]:
    """An unknown time zone, which `zone` replaces by UTC; the nearest known names, if any."""
    if not name or known_zone(name):
        return ()
    near = nearest_zones(name)
    if near:
        hint = f" (did you mean {' or '.join(near)}?)"
        message = f"unknown time zone {_shown(name)}; used UTC{hint}"
    else:
        hint = " (use an IANA name such as Europe/Berlin or America/New_York)"
        message = f"unknown time zone {_shown(name)}; used UTC"
    return (Fallback("timezone", name, "UTC", message, f"unknown time zone {_shown(name)}{hint}"),)


@cache
def _zone_names() -> dict[str, str]:
    """Every IANA zone this system knows, by its lower-case name (read once: ~600 names)."""
    return {name.lower(): name for name in available_timezones()}


def nearest_zones(name: str, n: int = 3) -> tuple[str, ...]:
    """The known zones a mistyped `name` most likely meant: the same name in other case, a
    city's zone (`Berlin`), or the closest spellings (`Europe/Berln`). Bounded: a name longer
    than any zone's is not compared."""
    if len(name) > 64:
        return ()
    zones = _zone_names()
    wanted = name.strip().lower().replace(" ", "_")
    if wanted in zones:
        return (zones[wanted],)
    cities = sorted(real for low, real in zones.items() if low.rpartition("/")[2] == wanted)
    if cities:
        return tuple(cities[:n])
    import difflib  # here: only a mistyped zone needs it, not every start of `mailyard serve`

    return tuple(zones[m] for m in difflib.get_close_matches(wanted, zones, n=n, cutoff=0.8))


def catalogue_for(tag: str) -> str:
    """The shipped catalogue serving `tag`."""
    wanted = _language(tag)
    return next((s for s in SUPPORTED_LOCALES if _language(s) == wanted), DEFAULT_LOCALE)


@cache
def translations(tag: str) -> gettext.NullTranslations:
    """The compiled catalogue for `tag` (English needs none: the source strings are English)."""
    from babel.messages.mofile import write_mo  # Babel: imported by the first render
    from babel.messages.pofile import read_po

    name = catalogue_for(tag)
    if _language(name) == "en":
        return gettext.NullTranslations()
    folder = resources.files("mailyard.renderer") / "locales" / name / "LC_MESSAGES"
    source = folder / f"{DOMAIN}.po"
    with source.open("rb") as po:
        catalog = read_po(po, locale=name.replace("-", "_"))
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


@cache
def babel_locale(tag: str) -> Locale:
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(catalogue_for(tag).replace("-", "_"))


def direction(tag: str) -> str:
    """`rtl` or `ltr`."""
    return "rtl" if babel_locale(tag).character_order == "right-to-left" else "ltr"


def known_zone(name: str) -> bool:
    """Whether `name` is an IANA time zone this system knows (`Europe/Berlin`)."""
    if len(name) > 64:  # the longest IANA name is 32 characters; no lookup for anything longer
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def zone(name: str | None) -> ZoneInfo:
    """The zone `name`, UTC when none is given or it is unknown (`render` reports that)."""
    return ZoneInfo(name) if name and known_zone(name) else ZoneInfo("UTC")


def when(moment: datetime, tag: str, tz: str | None) -> str:
    """`April 23, 2026, 2:00 AM CEST`: the locale's long date and short time, in the recipient's
    zone (UTC when unknown), with the zone's abbreviation."""
    from babel.dates import format_date, format_time

    locale = babel_locale(tag)
    local = moment.astimezone(zone(tz))
    pattern = str(locale.datetime_formats["long"])
    text = pattern.format(
        format_time(local, "short", locale=locale), format_date(local, "long", locale=locale)
    )
    return f"{text} {local.strftime('%Z')}"


def how_long(span: timedelta, tag: str) -> str:
    """`1 hour`, `10 Minuten`, `1 日`."""
    from babel.dates import format_timedelta

    return format_timedelta(span, locale=babel_locale(tag))
