"""Shipped logos: a data: URI in the rendered HTML, a cid: part in the MIME message; a theme's
remote logoUrl is left alone; a shipped logo is named, never a path."""

from __future__ import annotations

import re
import struct
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest

from mailyard.renderer import (
    Theme,
    ThemeError,
    build_message,
    cid_html,
    render,
    sample,
    sample_theme,
    sample_theme_names,
    theme_from_dict,
)
from mailyard.renderer.images import LOGO_HEIGHT, shipped_logo, shipped_logo_names
from mailyard.renderer.render import GMAIL_CLIP_BYTES

LOGOS = Path(__file__).resolve().parents[2] / "renderer" / "logos"


def _png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize("name", shipped_logo_names())
def test_each_png_is_drawn_at_3x_from_its_svg(name: str) -> None:
    """An SVG edited without running tests/renderer/rasterize_logos.py shows up here."""
    png = (LOGOS / name).read_bytes()
    svg = (LOGOS / name).with_suffix(".svg").read_text()
    size = re.search(r'<svg[^>]*width="(\d+)" height="(\d+)"', svg)
    assert size, f"{name}: the SVG states no width and height"
    width, height = int(size.group(1)), int(size.group(2))
    assert _png_size(png) == (3 * width, 3 * height)
    assert len(png) < 8 * 1024  # every email of the theme carries it


def test_the_shipped_logos_are_the_samples() -> None:
    assert shipped_logo_names() == tuple(f"{n}.png" for n in sample_theme_names())


@pytest.mark.parametrize("name", ["acme", "nordlicht", "sakura"])
def test_a_sample_logo_is_a_data_uri_beside_the_name(name: str) -> None:
    theme = sample_theme(name)
    email = render(sample("password-reset"), theme)
    (image,) = email.images
    (img,) = re.findall(r"<img\b[^>]*>", email.html)
    assert f'src="{image.data_uri}"' in img
    assert f'width="{image.width}"' in img and f'height="{LOGO_HEIGHT}"' in img
    assert 'alt=""' in img  # decorative: the name stands beside it as text
    name = re.escape(theme.name or "")
    assert re.search(rf'class="brand-name"[^>]*><strong>{name}</strong></td>', email.html)
    assert "mailyard:logo" not in email.html and "https://" not in img
    assert len(email.html.encode()) < GMAIL_CLIP_BYTES


def test_the_mark_comes_first_in_the_lockup_in_either_direction() -> None:
    """The lockup's cells follow the email's direction (no start/end padding to flip): the mark
    first, a fixed gap, the name. tests/renderer/test_phone_layout.py checks where Chromium
    puts them."""
    for locale in ("en-US", "ar"):
        html = render(sample("welcome"), sample_theme("sakura"), locale=locale).html
        assert re.search(r'<img [^>]*></td>\s*<td width="12"></td>\s*<td class="brand-name"', html)
        assert "padding-left" not in html and "padding-right" not in html


def test_a_remote_logo_url_is_left_untouched() -> None:
    theme = Theme(name="Mine", logo_url="https://cdn.example.com/brand/logo.png")
    email = render(sample("welcome"), theme)
    assert email.images == ()
    (img,) = re.findall(r"<img\b[^>]*>", email.html)
    assert 'src="https://cdn.example.com/brand/logo.png"' in img and 'alt="Mine"' in img
    parts = _parts(build_message(email, sender="a@example.com", to="b@example.com"))
    assert parts == ["multipart/alternative", "text/plain", "text/html"]


def _parts(message: EmailMessage) -> list[str]:
    parsed = message_from_bytes(message.as_bytes(), policy=default)
    return [part.get_content_type() for part in parsed.walk()]


def test_build_message_sends_the_logo_as_a_cid_part() -> None:
    email = render(sample("password-reset"), sample_theme("acme"))
    raw = build_message(email, sender="no-reply@auth.example.com", to="b@example.com").as_bytes()
    parsed = message_from_bytes(raw, policy=default)
    assert [p.get_content_type() for p in parsed.walk()] == [
        "multipart/alternative",
        "text/plain",
        "multipart/related",
        "text/html",
        "image/png",
    ]
    related = next(p for p in parsed.walk() if p.get_content_type() == "multipart/related")
    assert related.get_param("type") == "text/html"
    html = parsed.get_body(("html",)).get_content()  # type: ignore[union-attr]
    (cid,) = re.findall(r'<img src="cid:([^"]+)"', html)
    assert cid.endswith("@auth.example.com") and "data:" not in html
    image = next(p for p in parsed.walk() if p.get_content_type() == "image/png")
    assert image["Content-ID"].strip() == f"<{cid}>"  # a long one may be folded
    assert image.get_content_disposition() == "inline"
    assert image.get_content() == shipped_logo("mailyard:logo/acme.png").data
    assert raw.count(b"MIME-Version") == 1


def test_content_ids_differ_between_messages() -> None:
    email = render(sample("welcome"), sample_theme("nordlicht"))
    cids = set()
    for _ in range(3):
        raw = build_message(email, sender="a@x.example", to="b@x.example").as_bytes()
        cids.update(re.findall(rb"Content-ID: <([^>]+)>", raw))
    assert len(cids) == 3


@pytest.mark.parametrize(
    "url",
    [
        "mailyard:logo/nope.png",
        "mailyard:logo/../sample_themes/acme.json",
        "mailyard:logo/acme.svg",
        "mailyard:logo/",
        "mailyard:other/acme.png",
    ],
)
def test_an_unknown_shipped_logo_is_refused_naming_the_shipped_ones(url: str) -> None:
    with pytest.raises(ThemeError) as error:
        theme_from_dict({"logoUrl": url})
    assert error.value.field == "logoUrl"
    assert "mailyard:logo/acme.png" in str(error.value)


def test_any_theme_may_name_a_shipped_logo() -> None:
    theme = theme_from_dict({"name": "Mine", "logoUrl": "mailyard:logo/sakura.png"})
    assert render(sample("welcome"), theme).images[0].filename == "sakura.png"


def test_cid_html_gives_a_sender_the_html_and_the_parts_to_attach() -> None:
    email = render(sample("login-code"), sample_theme("sakura"))
    html, parts = cid_html(email, "auth.example.com")
    ((cid, image),) = parts
    assert f'src="cid:{cid}"' in html and "data:image" not in html
    assert image == email.images[0] and cid.endswith("@auth.example.com")
    assert cid_html(render(sample("login-code")), "x.example") == (
        render(sample("login-code")).html,
        (),
    )
