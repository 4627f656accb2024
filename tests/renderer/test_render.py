"""Rendering every concept in every locale with every fixture theme, and what the HTML must hold."""

from __future__ import annotations

import json
import os
import re
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from mailyard.renderer import (
    CONCEPTS,
    SUPPORTED_LOCALES,
    Invitation,
    PasswordReset,
    SecurityNotice,
    Theme,
    VariableError,
    render,
    theme_from_dict,
)
from mailyard.renderer.concepts import concept_from_vars
from mailyard.renderer.render import GMAIL_CLIP_BYTES
from mailyard.renderer.samples import PREVIEW_TOKEN, sample

ROOT = Path(__file__).resolve().parents[2]
THEMES = {
    p.stem: theme_from_dict(json.loads(p.read_text()))
    for p in (ROOT / "fixtures/themes").glob("*.json")
}
GOLDEN = Path(__file__).parent / "golden"


def _context(name: str) -> object:
    data = json.loads((ROOT / "fixtures/contexts" / f"{name}.json").read_text())
    return concept_from_vars(name, data)


def _visible_values(concept: object) -> list[str]:
    """The variable values a reader must find in the email (URLs, names, codes)."""
    out = []
    for f in fields(concept):  # type: ignore[arg-type]
        value = getattr(concept, f.name)
        if isinstance(value, str) and f.name not in ("kind",):
            out.append(value)
    return out


def test_fixtures_cover_at_least_three_themes_and_every_concept() -> None:
    assert len(THEMES) >= 3
    assert {p.stem for p in (ROOT / "fixtures/contexts").glob("*.json")} == set(CONCEPTS)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("concept", sorted(CONCEPTS))
def test_every_concept_renders_in_every_locale_with_every_theme(concept: str, locale: str) -> None:
    context = _context(concept)
    for theme_name, theme in THEMES.items():
        email = render(context, theme, locale=locale, timezone="Europe/Berlin")
        assert email.html and email.text and email.subject, (concept, locale, theme_name)
        for value in _visible_values(context):
            assert value in email.text, (concept, locale, theme_name, value)
            # Values are HTML-escaped in the HTML; URLs keep their & as &amp;.
            escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            assert escaped in email.html, (concept, locale, theme_name, value)
        assert theme.name in email.text or theme.name in email.html
        assert len(email.html.encode()) < GMAIL_CLIP_BYTES


class _Elements(HTMLParser):
    """Every element and attribute name, as a browser's parser would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [name for name, _ in attrs]


def _attributes(html: str, tag: str) -> list[str]:
    return re.findall(rf"<{tag}\b[^>]*>", html)


def _kept_style(html: str) -> str:
    """The one <style> every client reads (the Outlook-only one sits in a conditional comment)."""
    (kept,) = re.findall(r"<style[^>]*>(.*?)</style>", _without_mso(html), re.S)
    return str(kept)


def _without_mso(html: str) -> str:
    return re.sub(r"<!--\[if mso\]>.*?<!\[endif\]-->", "", html, flags=re.S)


@pytest.mark.parametrize("locale", ["en-US", "ar"])
def test_html_has_lang_dir_inlined_styles_alt_text_and_layout_roles(locale: str) -> None:
    email = render(_context("password-reset"), THEMES["acme"], locale=locale)
    html = email.html
    direction = "rtl" if locale == "ar" else "ltr"
    assert re.search(rf'<html[^>]* lang="{locale}"[^>]* dir="{direction}"', html)
    (wrapper,) = [t for t in _attributes(html, "div") if 'role="article"' in t]
    assert f'lang="{locale}"' in wrapper and f'dir="{direction}"' in wrapper
    # Styles are inlined onto the elements; only the kept dark-mode/responsive block remains.
    assert 'style="' in _attributes(html, "h1")[0] and 'style="' in _attributes(html, "a")[0]
    kept = _kept_style(html)
    assert "prefers-color-scheme: dark" in kept and "[data-ogsc]" in kept
    assert '<meta name="color-scheme" content="light dark">' in html
    for img in _attributes(html, "img"):
        assert 'alt="Acme Cloud"' in img
    assert all('role="presentation"' in t for t in _attributes(html, "table"))
    assert "v:roundrect" in html  # the Outlook button
    assert "mso-hide:all" in html and email.preheader in html  # hidden preheader
    assert email.preheader not in email.text
    assert "<link" not in html and "@import" not in html


def test_button_text_is_readable_on_any_brand_colour() -> None:
    from mailyard.renderer.colors import contrast

    for color in ("#ffcc00", "#0b2e59", "#888888", "#e85d9a", "#00ff00", "#ffffff", "#000000"):
        html = render(_context("welcome"), Theme(name="X", primary_color=color)).html
        cell = re.search(r'class="button-cell"[^>]*bgcolor="(#[0-9a-f]{6})"', html)
        text = re.search(
            r'<a class="button"[^>]*style="[^"]*?(?<![-\w])color: ?(#[0-9a-f]{6})', html
        )
        assert cell and text, color
        assert contrast(cell.group(1), text.group(1)) >= 4.5, color


def test_missing_translation_falls_back_to_english_not_blank() -> None:
    from mailyard.renderer import i18n

    catalogue = i18n.translations("de")
    assert catalogue.gettext("A sentence no catalogue has.") == "A sentence no catalogue has."


def _read_po(path: Path) -> Any:
    from babel.messages.pofile import read_po

    with path.open("rb") as source:
        return read_po(source)


def test_every_catalogue_translates_every_string() -> None:
    template = _read_po(ROOT / "renderer/locales/mailyard.pot")
    wanted = {m.id for m in template if m.id}
    for locale in SUPPORTED_LOCALES[1:]:
        catalogue = _read_po(ROOT / f"renderer/locales/{locale}/LC_MESSAGES/mailyard.po")
        done = {m.id for m in catalogue if m.id and m.string and not m.fuzzy}
        assert wanted <= done, (locale, sorted(wanted - done)[:3])
        for message in catalogue:
            if message.id and message.string:
                assert sorted(re.findall(r"%\((\w+)\)s", message.id)) == sorted(
                    re.findall(r"%\((\w+)\)s", str(message.string))
                ), (locale, message.id)


def test_the_template_holds_every_string_of_the_code() -> None:
    from babel.messages.extract import extract_from_file

    code = {
        m[1]
        for m in extract_from_file(
            "python", str(ROOT / "renderer/content.py"), keywords={"_": None}
        )
    }
    template = {m.id for m in _read_po(ROOT / "renderer/locales/mailyard.pot") if m.id}
    assert code == template, (
        "run: pybabel extract -o renderer/locales/mailyard.pot --no-location --omit-header -k _ renderer/content.py"
    )


def test_locale_chain_recipient_then_tenant_then_english() -> None:
    context = _context("welcome")
    assert render(context, Theme(locale="de"), locale="fr").locale == "fr"
    assert render(context, Theme(locale="de")).locale == "de"
    assert render(context, Theme(locale="pt-BR")).locale == "en-US"
    assert render(context, Theme(), locale="zz").locale == "en-US"


def test_expiry_is_shown_in_the_recipients_time_zone_and_locale() -> None:
    invitation = Invitation(
        accept_url="https://a.example/i?token=t",
        client_name="App",
        inviter_name="Ann",
        expires_at=datetime(2026, 4, 23, 0, 0, tzinfo=UTC),
    )
    # CLDR puts a narrow no-break space before AM/PM.
    text = render(invitation, timezone="America/Los_Angeles").text.replace("\u202f", " ")
    assert "April 22, 2026, 5:00 PM PDT" in text
    assert (
        "23. April 2026, 02:00 CEST"
        in render(invitation, locale="de", timezone="Europe/Berlin").text
    )
    assert "Hi there," in render(invitation).text  # recipientName null


def test_password_reset_states_the_lifetime() -> None:
    email = render(
        PasswordReset(reset_url="https://a.example/r?token=t", ttl=timedelta(minutes=30))
    )
    assert "30 minutes" in email.text and "30 minutes" in email.html


def test_test_sends_are_prefixed_and_previews_carry_only_placeholder_tokens() -> None:
    email = render(sample("password-reset"), test=True)
    assert email.subject.startswith("[TEST] ")
    assert f"token={PREVIEW_TOKEN}" in email.text
    assert not render(sample("password-reset")).subject.startswith("[TEST]")


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "Robert'); DROP TABLE--",
        "\u202eevil.com",
        "{{ 7*7 }}",
    ],
)
def test_hostile_variable_values_are_escaped(hostile: str) -> None:
    email = render(
        Invitation(
            accept_url="https://a.example/i?token=t",
            client_name=hostile,
            inviter_name=hostile,
            expires_at=datetime(2026, 1, 1, tzinfo=UTC),
            recipient_name=hostile,
        )
    )
    found = _Elements()
    found.feed(email.html)
    assert "script" not in found.tags and found.tags.count("img") == 0  # the theme has no logo
    assert not [a for a in found.attributes if a.startswith("on")]
    assert "49" not in email.text  # no template evaluation of values
    assert hostile in email.text  # the text part shows the value as it is


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"acceptUrl": "javascript:alert(1)"}, "acceptUrl"),
        ({"acceptUrl": "https://a.example/x\r\nBcc: x"}, "acceptUrl"),
        ({"inviterName": "Ann\r\nBcc: victim@example.com"}, "inviterName"),
        ({"expiresAt": "next week"}, "expiresAt"),
        ({"nope": "1"}, "nope"),
    ],
)
def test_bad_variables_name_the_field(values: dict[str, str], field: str) -> None:
    base = json.loads((ROOT / "fixtures/contexts/invitation.json").read_text())
    with pytest.raises(VariableError) as error:
        concept_from_vars("invitation", {**base, **values})
    assert error.value.field == field


def test_missing_required_variable_is_an_error_not_a_blank() -> None:
    with pytest.raises(VariableError) as error:
        concept_from_vars("password-reset", {"userName": "Jane"})
    assert error.value.field == "resetUrl"


def test_security_notice_kinds() -> None:
    base = {"occurred_at": datetime(2026, 11, 21, 9, 30, tzinfo=UTC)}
    changed = render(SecurityNotice(kind="password-changed", **base), Theme(name="Acme"))
    assert changed.subject == "Your Acme password was changed"
    with pytest.raises(VariableError):
        SecurityNotice(kind="lottery-win", **base)


GOLDEN_CASES = [
    ("password-reset", "acme", "en-US"),
    ("invitation", "nordlicht", "de"),
    ("login-code", "sakura", "ar"),
]


@pytest.mark.parametrize(("concept", "theme", "locale"), GOLDEN_CASES)
def test_golden_snapshots(concept: str, theme: str, locale: str) -> None:
    email = render(_context(concept), THEMES[theme], locale=locale, timezone="UTC")
    for suffix, body in (("txt", email.text), ("html", email.html)):
        path = GOLDEN / f"{concept}.{theme}.{locale}.{suffix}"
        if os.environ.get("MAILYARD_UPDATE_GOLDEN"):
            path.parent.mkdir(exist_ok=True)
            path.write_text(body)
        assert path.read_text() == body, (
            f"{path.name} changed; MAILYARD_UPDATE_GOLDEN=1 rewrites it"
        )


def test_dark_mode_recolours_the_button_so_it_stands_out() -> None:
    html = render(_context("welcome"), Theme(name="Bank", primary_color="#0b2e59")).html
    kept = _kept_style(html)
    dark = kept[kept.index("prefers-color-scheme: dark") :]
    assert re.search(r"\.button-cell \{ background-color: #[0-9a-f]{6} !important", dark)
    assert "#0b2e59 !important" not in dark  # navy would vanish into the dark card


def test_only_the_url_may_break_anywhere() -> None:
    """Mid-word breaks on phones came from `word-break: break-all` on the whole paragraph."""
    html = render(_context("password-reset")).html
    (cell,) = re.findall(r'<td class="muted"[^>]*>[^<]*<br><a class="url"', html)
    assert "break-all" not in cell and "overflow-wrap" not in cell
    (link,) = re.findall(r'<a class="url"[^>]*>', html)
    # overflow-wrap is gone: no client but Apple Mail has it, and it cost Gmail 2 points.
    assert "word-break: break-all" in link and "overflow-wrap" not in link
    assert 'dir="ltr"' in link


def test_outlook_for_windows_gets_exact_line_heights_of_its_own() -> None:
    """caniemail: Outlook for Windows spaces px line heights oddly without
    mso-line-height-rule: exactly; elsewhere one unitless line-height is inherited."""
    html = render(_context("password-reset")).html
    (mso,) = re.findall(r"<!--\[if mso\]>.*?<!\[endif\]-->", html.split("</head>")[0], re.S)
    assert "mso-line-height-rule: exactly" in mso and ".text { line-height: 24px; }" in mso
    styled = re.findall(r'style="[^"]*line-height[^"]*"', _without_mso(html))
    assert len(styled) == 2, styled  # the container and the heading


def test_no_flow_relative_alignment_numeric_weight_or_margins_on_text() -> None:
    """What caniemail flags in Gmail, Outlook and Yahoo is not used: text-align start/end
    (alignment is align= by direction), numeric font weights (bold is <strong>), margins on
    paragraphs (spacing is cellpadding); only the heading resets its own margin."""
    for locale, start in (("en-US", "left"), ("ar", "right")):
        html = _without_mso(render(_context("security-notice"), THEMES["acme"], locale=locale).html)
        assert "text-align" not in html and "font-weight" not in html
        assert re.findall(r"margin: ?[^;\"]+", html) == ["margin: 0"]  # the <h1>
        assert f'class="content" align="{start}"' in html
        assert "<p" not in html
