"""Themes: validation that names the field, resolution field by field, colour contrast."""

from __future__ import annotations

import pytest

from mailyard.renderer import BUILTIN_THEME, Theme, ThemeError, resolve_theme, theme_from_dict
from mailyard.renderer.colors import (
    AA,
    NON_TEXT,
    button_colors,
    button_colors_on,
    contrast,
    readable_on,
)
from mailyard.renderer.render import DARK_CARD


def test_resolution_takes_each_field_from_the_first_theme_that_sets_it() -> None:
    client = Theme(primary_color="#ff0000")
    service = Theme(name="Service Default", primary_color="#00ff00", footer_text="Service footer")
    resolved = resolve_theme(client, service)
    assert resolved.primary_color == "#ff0000"  # client
    assert (
        resolved.name == "Service Default" and resolved.footer_text == "Service footer"
    )  # service
    assert resolved.font_family_preset == BUILTIN_THEME.font_family_preset  # built in
    assert resolved.logo_url is None
    assert resolve_theme() == BUILTIN_THEME


def test_spec_field_names_are_accepted() -> None:
    theme = theme_from_dict(
        {
            "name": "Media Conductor",
            "primaryColor": "#1A73E8",
            "logoUrl": "https://x.example/l.png",
            "footerText": "Footer",
            "fontFamilyPreset": "georgia",
            "themeId": "b1f2",
        }
    )
    assert theme.primary_color == "#1a73e8" and theme.font_family_preset == "georgia"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"primaryColor": "blue"}, "primaryColor"),
        ({"primaryColor": "#12345"}, "primaryColor"),
        ({"logoUrl": "http://x.example/logo.png"}, "logoUrl"),
        ({"logoUrl": "javascript:alert(1)"}, "logoUrl"),
        ({"logoUrl": 'https://x.example/" onerror="alert(1)'}, "logoUrl"),
        ({"name": "x" * 101}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "Evil\r\nBcc: victim@example.com"}, "name"),
        ({"name": "moc.elgoog\u202e"}, "name"),
        ({"footerText": "y" * 501}, "footerText"),
        ({"fontFamilyPreset": "Comic Sans"}, "fontFamilyPreset"),
        ({"locale": "not a locale"}, "locale"),
        ({"colour": "#fff"}, "colour"),
        ({"name": 42}, "name"),
    ],
)
def test_bad_theme_values_are_refused_naming_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(ThemeError) as error:
        theme_from_dict(data)
    assert error.value.field == field


@pytest.mark.parametrize(
    "color",
    ["#ffcc00", "#0b2e59", "#777777", "#e85d9a", "#00ff00", "#ffffff", "#000000", "#ff0000"],
)
def test_button_and_link_colours_reach_aa(color: str) -> None:
    background, text = button_colors(color)
    assert contrast(background, text) >= AA
    assert contrast("#ffffff", readable_on("#ffffff", color)) >= AA
    assert contrast("#1c1f26", readable_on("#1c1f26", color)) >= AA


def test_a_brand_colour_that_already_works_is_kept() -> None:
    assert button_colors("#0b2e59") == ("#0b2e59", "#ffffff")
    assert readable_on("#ffffff", "#0b2e59") == "#0b2e59"


@pytest.mark.parametrize(
    "color",
    ["#0b2e59", "#2f5bd3", "#000000", "#111111", "#ffcc00", "#e85d9a", "#777777", "#ffffff"],
)
def test_the_dark_mode_button_stands_out_from_the_dark_card(color: str) -> None:
    background, text = button_colors_on(DARK_CARD, color)
    assert contrast(DARK_CARD, background) >= NON_TEXT
    assert contrast(background, text) >= AA


def test_a_brand_colour_that_stands_out_in_dark_mode_is_kept() -> None:
    assert button_colors_on(DARK_CARD, "#ffcc00") == ("#ffcc00", "#111111")
