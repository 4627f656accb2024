"""mailyard's own auth emails against its own HTML check (issue 14): every concept x sample
theme x locale should score at least 95 % for the Gmail, Outlook, Apple Mail and Yahoo families,
as Mailpit's UI scores a family."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailyard.renderer import CONCEPTS, SUPPORTED_LOCALES, render, theme_from_dict
from mailyard.renderer.samples import sample
from mailyard.sandbox.mail.htmlcheck import check_html

THEMES = sorted(Path(__file__).resolve().parents[3].joinpath("fixtures", "themes").glob("*.json"))
FAMILIES = ("gmail", "outlook", "apple-mail", "yahoo")
GOOD = 95.0


def test_sample_themes_are_there() -> None:
    assert len(THEMES) >= 3


@pytest.mark.xfail(
    strict=True,
    reason=(
        "Gmail ~71 %, Outlook ~78 %, Yahoo ~84 % (Apple Mail passes, >= 96 %). Under Mailpit's "
        "scoring, a feature any client supports only partly costs its share x found/nodes, and "
        "the worst one counts: css-margin (margin on every p/h1/.code/table, 10 of ~37 nodes; "
        "Gmail, Outlook, Yahoo 2024 flag margin partial for negative values), css-line-height "
        "(Outlook for Windows), css-display (Gmail/Yahoo mobile, Outlook for Windows), "
        "css-border-radius and css-font-weight (Yahoo, Outlook for Windows), css-text-align, "
        "css-text-decoration, css-padding (Outlook), css-height (Yahoo), and css-at-media, "
        "which alone caps Gmail at 95.0 %, with css-overflow-wrap / css-word-break (the long "
        "URL) taking Gmail and Yahoo below it. Fixing it is a renderer change: see the helper "
        "report for each feature's template line."
    ),
)
def test_own_emails_score_at_least_95_percent_per_family() -> None:
    failures: list[str] = []
    for path in THEMES:
        theme = theme_from_dict(json.loads(path.read_text()))
        for concept in CONCEPTS:
            for locale in SUPPORTED_LOCALES:
                html = render(sample(concept), theme, locale=locale).html
                scores = check_html(html).family_scores()
                for family in FAMILIES:
                    score = scores[family]
                    if score.supported < GOOD:
                        costly = ", ".join(
                            f"{c.slug} {c.points:.1f}" for c in score.costs if c.points >= 1
                        )
                        failures.append(
                            f"{concept}/{path.stem}/{locale} {score.label} "
                            f"{score.supported:.1f} %: {costly}"
                        )
    assert not failures, f"{len(failures)} below {GOOD} %:\n" + "\n".join(failures[:20])
