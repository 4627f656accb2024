"""`check_html`: an email's HTML against caniemail's support data, as Mailpit's HTML check.

The steps are Mailpit's: read the HTML into a tree, move the `<style>` rules onto elements,
find every feature the check knows (`rules`), look each up in caniemail (`data`), and score
(`result`). Remote stylesheets are not fetched (Mailpit downloads them unless
`--block-remote-css-and-fonts`): a check never leaves the machine.

Bounded: each step is linear in the HTML and capped (`markup`, `css`, `inline` say how), so any
input finishes in well under 50 ms per 100 KB; `tests/sandbox/mail/test_htmlcheck_bounds.py`
holds hostile shapes to that. What a cap cut short is listed in `HTMLCheckResult.notes`.
"""

from __future__ import annotations

import functools

from mailyard.sandbox.errors import InvalidInputError
from mailyard.sandbox.mail.htmlcheck.data import Feature, caniemail
from mailyard.sandbox.mail.htmlcheck.inline import inline
from mailyard.sandbox.mail.htmlcheck.markup import parse
from mailyard.sandbox.mail.htmlcheck.result import (
    ClientResult,
    FeatureWarning,
    HTMLCheckResult,
    Score,
    Total,
    f32,
    shares,
    support_of,
)
from mailyard.sandbox.mail.htmlcheck.rules import SCRIPT, find

_SCRIPT_TEXT = "JavaScript is not supported in any email client."


@functools.cache
def _results(slug: str) -> tuple[tuple[ClientResult, ...], tuple[float, float, float]]:
    """A feature's client results and support shares, worked out once per feature."""
    data = caniemail()
    feature = data.features[slug]
    results = []
    for row in feature.support:
        support, note = support_of(row.support)
        family = data.family_names.get(row.family, "")
        platform = data.platform_names.get(row.platform, "")
        results.append(
            ClientResult(
                name=f"{family} {platform} ({row.version})",
                platform=row.platform,
                family=row.family,
                version=row.version,
                support=support,
                note_number=note,
            )
        )
    return tuple(results), shares([r.support for r in results], True)


def _warning(feature: Feature, found: int) -> FeatureWarning:
    results, (supported, partial, unsupported) = _results(feature.slug)
    return FeatureWarning(
        slug=feature.slug,
        title=feature.title,
        description=feature.description,
        url=feature.url,
        category=feature.category,
        tags=feature.tags,
        results=results,
        notes=feature.notes,
        score=Score(found, supported, partial, unsupported),
    )


def _script(found: int) -> FeatureWarning:
    return FeatureWarning(
        slug=SCRIPT,
        title="<script> element",
        description=_SCRIPT_TEXT,
        url="",
        category="html",
        tags=(),
        results=(),
        notes=(),
        score=Score(found, 0.0, 0.0, 100.0),
    )


def _total(warnings: list[FeatureWarning], tests: int, nodes: int) -> Total:
    divisor = float(nodes or 1)
    partial = unsupported = 0.0
    for warning in warnings:
        score = warning.score
        partial = max(partial, f32(f32(score.partial * score.found) / divisor))
        unsupported = max(unsupported, f32(f32(score.unsupported * score.found) / divisor))
    supported = f32(f32(100 - partial) - unsupported)
    return Total(tests, nodes, supported, partial, unsupported)


def check_html(html: str) -> HTMLCheckResult:
    """Mailpit's HTML compatibility check of `html` (a message's HTML body).

    Raises `InvalidInputError` when `html` is empty, as Mailpit answers "message does not
    contain HTML".
    """
    if not html:
        raise InvalidInputError("message does not contain HTML", field="html")
    data = caniemail()
    document = parse(html)
    styles = inline(document, len(html))
    findings = find(document, styles, html)
    warnings: list[FeatureWarning] = []
    if findings.scripts:
        warnings.append(_script(findings.scripts))
    for slug, found in (*findings.html.items(), *findings.css.items()):
        feature = data.features.get(slug)
        if feature is not None:
            warnings.append(_warning(feature, found))
    divisor = float(findings.nodes or 1)
    warnings.sort(
        key=lambda w: f32(f32((w.score.unsupported + w.score.partial) * w.score.found) / divisor),
        reverse=True,
    )
    return HTMLCheckResult(
        warnings=tuple(warnings),
        platforms=data.platforms,
        total=_total(warnings, findings.tests, findings.nodes),
        family_names=data.family_names,
        notes=tuple(document.notes + styles.notes),
    )
