"""Rendering one email: content blocks, themed HTML (CSS inlined), plain text, subject.

Templates are compiled once; Jinja2 autoescapes every value and StrictUndefined makes a missing
variable an error, never a blank. CSS is inlined with css-inline, which never fetches anything.
A locale or time zone we cannot serve falls back (to the theme's locale or en-US, to UTC) and
the email says so in `fallbacks`; `strict=True` raises FallbackError instead.

Client compatibility. Every concept x sample theme x locale, as sent, is held to mailyard's own
HTML check (Mailpit's scoring, caniemail's data; tests/sandbox/mail/test_htmlcheck_own_emails.py):
at least 95 % for Gmail (95.0), Outlook (95.5-95.7) and Apple Mail (97.8-98.8). A flagged CSS
property costs its share times the elements carrying it over all elements, and the worst one
counts, so the template keeps each on as few elements as it can: spacing is `cellpadding` and
rows of a set height (CSS padding only on the button and the code, margin only to reset <h1>),
bold is <strong> and <h1>, alignment is `align=` left/right by direction, one unitless
line-height on the container (Outlook for Windows gets exact pixel heights in its own
conditional <style>), the logo is `vertical-align`ed rather than `display:block`. The preview's
`data:` logo is not what is sent (Gmail shows no data: images): `cid_html` is.

Kept although they cost points:
- `@media`: the dark-mode colours (Apple Mail, Outlook.com, Outlook for Mac and iOS) and the
  phone insets. Any @media takes a flat 5 points from Gmail (no height queries; none in its
  non-Google-account and mobile webmail) and Yahoo (width queries only, so dark mode does not
  apply there), so neither can pass 95.0.
- `<body>`: every HTML document has one. Yahoo's apps drop it and Gmail turns it into a div;
  nothing depends on it (the wrapper div and table carry the background).
- `word-break: break-all` on the fallback URL's link only: Gmail, Outlook.com and Apple Mail
  need it to wrap a long token on a phone; Yahoo ignores it.
With these, Yahoo scores 93.2-93.8 % and nothing else costs it anything on top.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING

from markupsafe import Markup

from mailyard.renderer import colors, content, i18n, images
from mailyard.renderer.concepts import Concept
from mailyard.renderer.errors import FallbackError, VariableError
from mailyard.renderer.i18n import Fallback
from mailyard.renderer.images import InlineImage
from mailyard.renderer.text import render_text
from mailyard.renderer.themes import Theme, resolve_theme

if TYPE_CHECKING:
    import css_inline
    import jinja2

TEST_PREFIX = "[TEST] "
GMAIL_CLIP_BYTES = 102 * 1024
DARK_CARD = "#1c1f26"  # the card's background in dark mode
# Pads the preheader so inbox previews do not run on into the body text.
_FILLER = Markup("&#847;&zwnj;&nbsp;" * 40)  # noqa: S704 - a constant


@dataclass(frozen=True)
class RenderedEmail:
    """A finished email: what `build_message` turns into MIME and a sender delivers."""

    concept: str
    locale: str
    direction: str
    subject: str
    preheader: str
    html: str
    text: str
    theme: Theme
    rendered_at: datetime
    # Images the HTML shows as data: URIs (a shipped logo); build_message sends them as cid: parts.
    images: tuple[InlineImage, ...] = ()
    # What was asked for and not used: an unsupported locale, an unknown time zone.
    fallbacks: tuple[Fallback, ...] = ()

    @property
    def from_name(self) -> str:
        """The From display name: the tenant's theme name, as the spec says."""
        return self.theme.name or ""


@cache
def _environment() -> jinja2.Environment:
    import jinja2  # with css_inline and Babel, ~100 ms: paid by the first render, not at import

    return jinja2.Environment(
        loader=jinja2.PackageLoader("mailyard.renderer", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def _inliner() -> css_inline.CSSInliner:
    import css_inline

    return css_inline.CSSInliner(
        load_remote_stylesheets=False,
        apply_width_attributes=True,
        apply_height_attributes=True,
        keep_style_tags=False,
    )


@cache
def _palette(primary: str) -> dict[str, Markup]:
    """Colours derived from the brand colour once per theme: readable button, links in both
    modes. Validated hex colours only, so they may go into the <style> unescaped."""
    button_bg, button_text = colors.button_colors(primary)
    # Dark mode puts the button on a surface the tenant did not design for (a navy brand colour
    # would vanish into the dark card), so there it may be lightened.
    dark_bg, dark_text = colors.button_colors_on(DARK_CARD, primary)
    return {
        "button_bg": Markup(button_bg),  # noqa: S704
        "button_text": Markup(button_text),  # noqa: S704
        "button_bg_dark": Markup(dark_bg),  # noqa: S704
        "button_text_dark": Markup(dark_text),  # noqa: S704
        "link": Markup(colors.readable_on("#ffffff", primary)),  # noqa: S704
        "link_dark": Markup(colors.readable_on(DARK_CARD, primary)),  # noqa: S704
    }


def render(
    concept: Concept,
    theme: Theme | None = None,
    *,
    locale: str | None = None,
    timezone: str | None = None,
    test: bool = False,
    strict: bool = False,
) -> RenderedEmail:
    """Render `concept` with `theme` (resolved against the built-in defaults).

    The locale is the recipient's `locale`, else the theme's (tenant's) default, else en-US;
    times are shown in `timezone` (the recipient's, UTC when unknown). Each fallback taken is
    listed in `fallbacks`; with `strict` the first one raises FallbackError naming its field.
    `test` prefixes the subject with [TEST], as the spec's email-test does.
    """
    resolved = resolve_theme(theme)
    tenant_locale = theme.locale if theme is not None else None  # the built-in one is en-US
    fallbacks = i18n.locale_fallbacks(locale, tenant_locale) + i18n.zone_fallbacks(timezone)
    if strict and fallbacks:
        raise FallbackError(fallbacks[0].message, fallbacks[0].field)
    tag = i18n.resolve_locale(locale, resolved.locale)
    blocks = content.build(concept, resolved, tag, timezone)
    direction = i18n.direction(tag)
    logo = _shipped_logo(resolved)
    import jinja2

    try:
        html = (
            _environment()
            .get_template("email.html.j2")
            .render(
                c=blocks,
                theme=resolved,
                lang=tag,
                dir=direction,
                # align= takes left/right only (caniemail: start/end are partial in Gmail,
                # Outlook and Yahoo); the cells follow the direction on their own.
                start="right" if direction == "rtl" else "left",
                logo=logo,
                font=Markup(resolved.font_stack),  # noqa: S704 - one of FONT_PRESETS
                filler=_FILLER,
                dark_card=Markup(DARK_CARD),  # noqa: S704 - a constant
                **_palette(resolved.primary_color or "#2f5bd3"),
            )
        )
    except jinja2.UndefinedError as exc:
        raise VariableError(f"the template needs a value it was not given: {exc}") from exc
    subject = (TEST_PREFIX if test else "") + blocks.subject
    return RenderedEmail(
        concept=concept.name,
        locale=tag,
        direction=direction,
        subject=subject,
        preheader=blocks.preheader,
        html=_inliner().inline(html),
        text=render_text(blocks),
        theme=resolved,
        rendered_at=datetime.now(UTC),
        images=() if logo is None else (logo,),
        fallbacks=fallbacks,
    )


def _shipped_logo(theme: Theme) -> InlineImage | None:
    """The theme's logo when it ships with mailyard; a remote logoUrl stays a plain <img src>."""
    if theme.logo_url is None or not images.is_shipped(theme.logo_url):
        return None
    return images.shipped_logo(theme.logo_url)  # resolve_theme has checked the name
