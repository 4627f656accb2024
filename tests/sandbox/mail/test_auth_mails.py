"""Real frameworks' auth mail (fixtures/auth_mails, written in their formats): THE link, token
and code come first, read the way the web layer reads a stored message."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mailyard.renderer import CONCEPTS, render
from mailyard.renderer.i18n import SUPPORTED_LOCALES
from mailyard.renderer.samples import PREVIEW_TOKEN, sample, sample_theme, sample_theme_names
from mailyard.sandbox.mail.links import Link, extract_codes, extract_links
from mailyard.sandbox.mail.summary import html_to_text, summarize
from mailyard.sandbox.mail.view import view_message

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "auth_mails"
EXPECTED: dict[str, dict[str, Any]] = json.loads((FIXTURES / "expected.json").read_text())


def first_action(links: list[Link]) -> Link | None:
    return next((link for link in links if link.role == "action"), None)


def check(expected: dict[str, Any], links: list[Link], codes: list[str]) -> None:
    action = first_action(links)
    if expected["link"] is None:
        assert action is None, f"no action link expected, got {action}"
    else:
        assert action is not None, "no action link"
        assert (action.url, action.token) == (expected["link"], expected["token"])
        # The first link with a token at all is the action link: not a logo, not a footer.
        assert next(link for link in links if link.token) is action
    assert (codes[0] if codes else None) == expected["code"], codes


def test_the_table_covers_thirty_frameworks_and_has_negatives() -> None:
    frameworks = {
        e["framework"].split(" (")[0]
        for e in EXPECTED.values()
        if "(negative)" not in e["framework"]
    }
    assert len(frameworks) >= 30, sorted(frameworks)
    negatives = [e for e in EXPECTED.values() if "(negative)" in e["framework"]]
    assert len(negatives) >= 2 and all(e["code"] is None and e["link"] is None for e in negatives)
    assert {e["layout"] for e in EXPECTED.values()} == {"text", "html", "text+html"}
    assert sorted(p.name for p in FIXTURES.glob("*.eml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_auth_mail_as_the_web_layer_reads_it(name: str) -> None:
    raw = (FIXTURES / name).read_bytes()
    view = view_message(raw)
    subject = summarize(raw, []).subject
    body = view.text if view.text.strip() else html_to_text(view.html)
    codes = [c.code for c in extract_codes(subject, body)]
    check(EXPECTED[name], extract_links(view.text, view.html), codes)


@pytest.mark.parametrize(
    "name", sorted(n for n, e in EXPECTED.items() if e["layout"] == "text+html")
)
@pytest.mark.parametrize("part", ["text", "html"])
def test_either_part_alone_is_enough(name: str, part: str) -> None:
    raw = (FIXTURES / name).read_bytes()
    view = view_message(raw)
    text, html = (view.text, "") if part == "text" else ("", view.html)
    codes = [c.code for c in extract_codes(summarize(raw, []).subject, text, html)]
    check(EXPECTED[name], extract_links(text, html), codes)


@pytest.mark.parametrize("concept", sorted(CONCEPTS))
def test_mailyards_own_auth_mails_in_every_locale_and_sample_theme(concept: str) -> None:
    context = sample(concept)
    code = next((v for k, v in vars(context).items() if "code" in k and isinstance(v, str)), None)
    for locale in SUPPORTED_LOCALES:
        for theme in sample_theme_names():
            email = render(context, sample_theme(theme), locale=locale, test=True)
            for text, html in ((email.text, email.html), ("", email.html)):
                links = extract_links(text, html)
                found = [c.code for c in extract_codes(email.subject, text or html_to_text(html))]
                where = f"{concept} {locale} {theme} {'html' if not text else 'both'}"
                with_token = [link for link in links if link.token]
                assert not with_token or with_token[0].token == PREVIEW_TOKEN, where
                assert (found[0] if found else None) == code, where
