"""Rendering one email: content blocks, themed HTML (CSS inlined), plain text, subject.

Templates are compiled once; Jinja2 autoescapes every value and StrictUndefined makes a missing
variable an error, never a blank. CSS is inlined with css-inline, which never fetches anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

import css_inline
import jinja2
from markupsafe import Markup

from mailyard.renderer import colors, content, i18n
from mailyard.renderer.concepts import Concept
from mailyard.renderer.errors import VariableError
from mailyard.renderer.text import render_text
from mailyard.renderer.themes import Theme, resolve_theme

TEST_PREFIX = "[TEST] "
GMAIL_CLIP_BYTES = 102 * 1024
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

    @property
    def from_name(self) -> str:
        """The From display name: the tenant's theme name, as the spec says."""
        return self.theme.name or ""


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("renderer", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def _inliner() -> css_inline.CSSInliner:
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
    return {
        "button_bg": Markup(button_bg),  # noqa: S704
        "button_text": Markup(button_text),  # noqa: S704
        "link": Markup(colors.readable_on("#ffffff", primary)),  # noqa: S704
        "link_dark": Markup(colors.readable_on("#1c1f26", primary)),  # noqa: S704
    }


def render(
    concept: Concept,
    theme: Theme | None = None,
    *,
    locale: str | None = None,
    timezone: str | None = None,
    test: bool = False,
) -> RenderedEmail:
    """Render `concept` with `theme` (resolved against the built-in defaults).

    The locale is the recipient's `locale`, else the theme's (tenant's) default, else en-US;
    times are shown in `timezone` (the recipient's, UTC when unknown). `test` prefixes the
    subject with [TEST], as the spec's email-test does.
    """
    resolved = resolve_theme(theme)
    tag = i18n.resolve_locale(locale, resolved.locale)
    blocks = content.build(concept, resolved, tag, timezone)
    direction = i18n.direction(tag)
    try:
        html = (
            _environment()
            .get_template("email.html.j2")
            .render(
                c=blocks,
                theme=resolved,
                lang=tag,
                dir=direction,
                start="right" if direction == "rtl" else "left",
                font=Markup(resolved.font_stack),  # noqa: S704 - one of FONT_PRESETS
                filler=_FILLER,
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
    )
