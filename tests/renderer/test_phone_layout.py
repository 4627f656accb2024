"""Every concept in every locale, laid out by a real Chromium at phone width: no word outside a
URL is split across two lines, nothing runs off the side, and the long URL does wrap.

One browser and one page for the whole module; each email is loaded with `set_content`, so no
server is involved. Debian's /usr/bin/chromium, driven by Playwright (no browser download).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from support import chromium

from mailyard.renderer import CONCEPTS, SUPPORTED_LOCALES, render, sample_theme, sample_theme_names
from mailyard.renderer.samples import sample

pytest.importorskip("playwright.sync_api")

PHONE = 320

# For each visible text node outside a URL: its words (space-separated; runs of CJK characters
# are left out, as CJK text may break between any two characters, and a word may break after a
# hyphen, dash or slash as the line-breaking rules allow), and the lines each word's boxes sit
# on. A word whose boxes sit on two lines was broken inside.
BROKEN_WORDS_JS = r"""
() => {
  const URL = /^\s*https?:\/\//;
  const SKIP = /[\s\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u3000-\u303f\uff00-\uffef]+/u;
  const broken = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.data;
    const link = node.parentElement.closest("a");
    if (URL.test(text) || (link && URL.test(link.textContent))) continue;
    const pattern = new RegExp(SKIP.source, "gu");
    let start = 0;
    const spans = [];
    for (const match of text.matchAll(pattern)) {
      spans.push([start, match.index]);
      start = match.index + match[0].length;
    }
    spans.push([start, text.length]);
    for (const [from, to] of spans) {
      // Legitimate break opportunities inside a space-free run: after a hyphen, dash or slash
      const word = text.slice(from, to);
      let pieceStart = 0;
      for (let i = 0; i <= word.length; i++) {
        if (i < word.length && !"-\u2010\u2013\u2014/".includes(word[i])) continue;
        const end = Math.min(i + 1, word.length);
        if (end > pieceStart) {
          const range = document.createRange();
          range.setStart(node, from + pieceStart);
          range.setEnd(node, from + end);
          const rects = [...range.getClientRects()].filter((r) => r.width > 0 && r.height > 0);
          const lines = [];
          for (const r of rects) {
            const middle = (r.top + r.bottom) / 2;
            if (!lines.some((l) => middle > l.top && middle < l.bottom)) lines.push(r);
          }
          if (lines.length > 1) broken.push(word.slice(pieceStart, end));
        }
        pieceStart = end;
      }
    }
  }
  return {
    broken,
    overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  };
}
"""

# The URL of the fallback paragraph: how many lines it takes, and whether it stays on screen.
URL_JS = """
() => {
  const link = [...document.querySelectorAll("a")].find((a) => /^https?:/.test(a.textContent));
  if (!link) return null;
  const rects = [...link.getClientRects()];
  return {
    length: link.textContent.length,
    lines: new Set(rects.map((r) => Math.round(r.top))).size,
    inside: rects.every((r) => r.left >= 0 && r.right <= document.documentElement.clientWidth),
  };
}
"""


@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    with chromium.launched() as browser:
        context = browser.new_context(
            viewport={"width": PHONE, "height": 640}, java_script_enabled=True
        )
        # Nothing leaves loopback: a remote logo (a fixture theme) would only slow the test.
        context.route("**/*", lambda route: route.abort())
        yield context.new_page()


# Every concept in every locale; the themes take turns (built in and each sample), so every
# font stack and logo appears without multiplying the cases.
THEMES = [None, *sample_theme_names()]
CASES = [
    (concept, locale, THEMES[(i + j) % len(THEMES)])
    for i, concept in enumerate(sorted(CONCEPTS))
    for j, locale in enumerate(SUPPORTED_LOCALES)
]


@pytest.mark.parametrize(("concept", "locale", "theme"), CASES)
def test_no_word_is_broken_at_phone_width(
    page: Any, concept: str, locale: str, theme: str | None
) -> None:
    email = render(sample(concept), None if theme is None else sample_theme(theme), locale=locale)
    page.set_content(email.html, wait_until="domcontentloaded")
    found = page.evaluate(BROKEN_WORDS_JS)
    assert found["broken"] == [], f"words broken inside: {found['broken']}"
    assert found["overflow"] <= 0, f"the page is {found['overflow']}px wider than the phone"
    url = page.evaluate(URL_JS)
    if url is not None:
        assert url["inside"], "the URL runs off the side"
        if url["length"] > 60:  # wider than the 262px column at 14px: it must wrap
            assert url["lines"] > 1, "the long URL should wrap"


def test_the_check_finds_a_broken_word(page: Any) -> None:
    """The detector itself: `break-all` on a paragraph must be caught."""
    page.set_content(
        "<p style='width:120px;word-break:break-all;font-size:16px'>"
        "If the button does not work, copy this link into your browser</p>"
    )
    assert page.evaluate(BROKEN_WORDS_JS)["broken"]


EDGES_JS = """
() => {
  const box = (selector) => document.querySelector(selector).getBoundingClientRect();
  const mark = box("img"), name = box(".brand-name"), heading = box("h1"), footer = box(".footer");
  const range = document.createRange();
  range.selectNodeContents(document.querySelector(".footer"));
  const text = range.getBoundingClientRect();
  return {
    mark: [mark.left, mark.right], name: [name.left, name.right],
    heading: [heading.left, heading.right], footer: [footer.left, footer.right],
    footerText: [text.left, text.right],
  };
}
"""


@pytest.mark.parametrize("width", [PHONE, 800])
@pytest.mark.parametrize("locale", ["en-US", "ar"])
def test_the_mark_sits_on_the_start_side_aligned_with_the_text(
    page: Any, locale: str, width: int
) -> None:
    """The brand and footer gutters match the card's cellpadding inset (32 px, 20 px on a
    phone), so the mark, the heading and the footer share one start edge; in Arabic it is the
    right one, with the name on the mark's left."""
    email = render(sample("welcome"), sample_theme("sakura"), locale=locale)
    page.set_viewport_size({"width": width, "height": 640})
    try:
        page.set_content(email.html, wait_until="domcontentloaded")
        box = page.evaluate(EDGES_JS)
    finally:
        page.set_viewport_size({"width": PHONE, "height": 640})
    start = 0 if locale == "en-US" else 1
    assert abs(box["mark"][start] - box["heading"][start]) <= 1
    assert abs(box["footer"][start] - box["heading"][start]) <= 1
    if locale == "en-US":
        assert box["name"][0] - box["mark"][1] >= 12
    else:
        assert box["mark"][0] - box["name"][1] >= 12
        assert box["footerText"][1] == pytest.approx(box["footer"][1], abs=1)
