"""A locale or time zone the renderer cannot serve: it falls back and says so, or with
`strict=True` refuses, naming the field."""

from __future__ import annotations

import pytest

from mailyard.renderer import (
    SUPPORTED_LOCALES,
    FallbackError,
    RenderError,
    Theme,
    render,
    sample,
)

SUPPORTED = f"(supported: {', '.join(SUPPORTED_LOCALES)})"


def test_an_unsupported_locale_falls_back_to_english_and_says_so() -> None:
    email = render(sample("welcome"), locale="xx")
    assert email.locale == "en-US"
    (fallback,) = email.fallbacks
    assert (fallback.field, fallback.requested, fallback.used) == ("locale", "xx", "en-US")
    assert str(fallback) == f"locale 'xx' is not supported; used en-US {SUPPORTED}"


def test_an_unsupported_locale_falls_back_to_the_themes() -> None:
    email = render(sample("welcome"), Theme(locale="de"), locale="pt-BR")
    assert email.locale == "de"
    assert [str(f) for f in email.fallbacks] == [
        f"locale 'pt-BR' is not supported; used de, the theme's locale {SUPPORTED}"
    ]


def test_an_unsupported_theme_locale_is_reported_when_it_was_consulted() -> None:
    assert [f.message for f in render(sample("welcome"), Theme(locale="pt-BR")).fallbacks] == [
        f"the theme's locale 'pt-BR' is not supported; used en-US {SUPPORTED}"
    ]
    # The recipient's supported locale wins: the theme's was never needed.
    assert render(sample("welcome"), Theme(locale="pt-BR"), locale="fr").fallbacks == ()


def test_an_unknown_time_zone_falls_back_to_utc_and_says_so() -> None:
    email = render(sample("invitation"), timezone="Mars/Base")
    (fallback,) = email.fallbacks
    assert (fallback.field, fallback.used) == ("timezone", "UTC")
    assert fallback.message == "unknown time zone 'Mars/Base'; used UTC"
    assert "UTC" in email.text


def test_a_long_value_is_cut_in_the_message() -> None:
    (fallback,) = render(sample("welcome"), timezone="x" * 5000).fallbacks
    assert len(fallback.message) < 100 and fallback.requested == "x" * 5000


@pytest.mark.parametrize(
    ("locale", "timezone"),
    [("en-US", None), ("de-AT", "Europe/Vienna"), ("ar", "Asia/Riyadh"), (None, "UTC")],
)
def test_what_is_supported_falls_back_to_nothing(locale: str | None, timezone: str | None) -> None:
    email = render(sample("invitation"), locale=locale, timezone=timezone, strict=True)
    assert email.fallbacks == ()


@pytest.mark.parametrize(
    ("kwargs", "field", "says"),
    [
        ({"locale": "xx"}, "locale", "locale 'xx' is not supported"),
        ({"timezone": "Mars/Base"}, "timezone", "unknown time zone 'Mars/Base'"),
        ({"theme": Theme(locale="tlh")}, "locale", "the theme's locale 'tlh'"),
    ],
)
def test_strict_refuses_to_fall_back_naming_the_field(
    kwargs: dict[str, object], field: str, says: str
) -> None:
    with pytest.raises(FallbackError) as error:
        render(sample("welcome"), strict=True, **kwargs)  # type: ignore[arg-type]
    assert isinstance(error.value, RenderError)
    assert error.value.field == field and says in str(error.value)
