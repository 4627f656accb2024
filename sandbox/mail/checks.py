"""The content checks a reviewer of an auth email wants, each with a verdict and what to do.

`review(view, links)` looks at a stored message as a team shipping auth mail would: is the HTML
under Gmail's clipping size, is there a plain-text part, are the links https, do the images
have alt text, is the language declared, how well do Gmail, Outlook, Apple Mail and Yahoo
render it (the HTML check, `htmlcheck`), and, when one was run, did every link answer (the link
check, `linkcheck`, passed in: it needs the network and time, so the caller decides). Every
finding says what was seen in words that count right ("1 link", "3 images without alt text")
and, when something is wrong, what to do about it.

Pure and bounded: the HTML is read with the HTML check's capped tree reader, never more than
its first 2 MiB.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from mailyard.sandbox.mail.htmlcheck import ClientScore, HTMLCheckResult, check_html
from mailyard.sandbox.mail.htmlcheck.markup import HTML, parse
from mailyard.sandbox.mail.links import Link
from mailyard.sandbox.mail.view import MessageView

Verdict = Literal["pass", "warn", "fail", "info"]
ORDER: dict[Verdict, int] = {"fail": 0, "warn": 1, "info": 2, "pass": 3}

# Gmail clips a message whose HTML is larger (renderer.GMAIL_CLIP_BYTES, the same figure, not
# imported: importing the renderer costs ~150 ms, too much for a page that only reviews).
GMAIL_CLIP_BYTES = 102 * 1024
# The client families an auth email is held to, in caniemail's keys, and the score it needs.
FAMILIES = ("gmail", "outlook", "apple-mail", "yahoo")
GOOD_SCORE = 95.0
POOR_SCORE = 80.0
MAX_ITEMS = 5  # addresses listed under a finding
NEAR_CLIP = 0.9  # warn from 90 % of Gmail's limit


class CheckedLink(Protocol):
    """One link the link check fetched (`linkcheck.CheckedLink` is one)."""

    @property
    def url(self) -> str: ...
    @property
    def status_code(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def is_error(self) -> bool: ...


class LinkCheck(Protocol):
    """A finished link check (`linkcheck.LinkCheckResult` is one)."""

    @property
    def links(self) -> Sequence[CheckedLink]: ...


@dataclass(frozen=True)
class Finding:
    """One line of the report: what was checked, the verdict, what was seen, what to do."""

    name: str
    verdict: Verdict
    detail: str
    advice: str = ""  # empty when there is nothing to do
    items: tuple[str, ...] = ()  # the first few offenders: addresses, image sources, features

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "verdict": self.verdict,
            "detail": self.detail,
            "advice": self.advice,
            "items": list(self.items),
        }


@dataclass(frozen=True)
class FamilySupport:
    """How well one client family renders the HTML: the HTML check's score (Mailpit's UI
    arithmetic, this family's clients only) and the features that cost the most."""

    family: str  # caniemail's key: "gmail"
    name: str  # "Gmail"
    score: float  # 0..100
    lacks: tuple[str, ...]  # feature titles, costliest first

    def as_json(self) -> dict[str, object]:
        return {
            "family": self.family,
            "name": self.name,
            "score": round(self.score, 2),
            "lacks": list(self.lacks),
        }


@dataclass(frozen=True)
class Review:
    """Every finding, worst first, and the HTML support per client family."""

    findings: tuple[Finding, ...]
    families: tuple[FamilySupport, ...] = field(default=())

    @property
    def verdict(self) -> Verdict:
        return self.findings[0].verdict if self.findings else "pass"

    @property
    def summary(self) -> str:
        to_fix = sum(f.verdict in ("fail", "warn") for f in self.findings)
        passed = sum(f.verdict == "pass" for f in self.findings)
        if not to_fix:
            return f"All {plural(passed, 'check')} passed"
        return f"{plural(to_fix, 'thing')} to fix, {passed} passed"

    def as_json(self) -> dict[str, object]:
        return {
            "verdict": self.verdict,
            "summary": self.summary,
            "findings": [f.as_json() for f in self.findings],
            "families": [f.as_json() for f in self.families],
        }


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """ "1 link", "2 links", "0 links"; `nouns` when adding "s" is wrong."""
    return f"{count:,} {noun if count == 1 else nouns or noun + 's'}"


def size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1048576:.1f} MB"


def _html_size(html: str) -> Finding:
    n = len(html.encode())
    detail = f"{size(n)} of Gmail's {GMAIL_CLIP_BYTES // 1024} KB clipping limit"
    if n >= GMAIL_CLIP_BYTES:
        advice = (
            "Gmail shows only the first 102 KB and hides the rest behind “View entire "
            "message”, links included: cut repeated inline CSS, whitespace and comments."
        )
        return Finding("HTML size", "fail", detail, advice)
    if n >= GMAIL_CLIP_BYTES * NEAR_CLIP:
        advice = "Close to Gmail's clipping: a longer name or locale may push it over."
        return Finding("HTML size", "warn", detail, advice)
    return Finding("HTML size", "pass", detail)


def _text_part(text: str) -> Finding:
    if text.strip():
        return Finding("Plain-text part", "pass", "present")
    advice = (
        "Add a text/plain alternative: some clients and watches show only text, and spam "
        "filters score HTML-only mail."
    )
    return Finding("Plain-text part", "fail", "missing", advice)


def _links(links: Sequence[Link]) -> Finding:
    web = [link.url for link in links if link.url.lower().startswith(("http://", "https://"))]
    insecure = [url for url in web if url.lower().startswith("http://")]
    if not insecure:
        detail = plural(len(links), "link") + (", all https" if web else "")
        return Finding("Links over https", "pass", detail)
    detail = f"{len(insecure):,} of {plural(len(links), 'link')} not https"
    advice = "Serve every link over https: links in auth mail carry tokens anyone on the path sees."
    return Finding("Links over https", "fail", detail, advice, tuple(insecure[:MAX_ITEMS]))


def _images_and_lang(html: str) -> list[Finding]:
    document = parse(html)
    images = [e for e in document.elements if e.name == "img"]
    without = [e.attrs.get("src", "") for e in images if "alt" not in e.attrs]
    if without:
        detail = f"{plural(len(without), 'image')} without alt text, of {len(images):,}"
        advice = (
            'Give every image an alt attribute (alt="" for decoration): many clients block '
            "images, and screen readers read the alt."
        )
        alt = Finding("Images with alt text", "warn", detail, advice, tuple(without[:MAX_ITEMS]))
    else:
        detail = plural(len(images), "image") + (", all with alt text" if images else "")
        alt = Finding("Images with alt text", "pass", detail)
    lang = document.elements[HTML].attrs.get("lang", "").strip()
    if lang:
        declared = Finding("Language declared", "pass", f'lang="{lang}" on <html>')
    else:
        advice = 'Add lang="…" to <html> so screen readers pronounce the text right.'
        declared = Finding("Language declared", "warn", "no lang attribute on <html>", advice)
    return [alt, declared]


def family_support(result: HTMLCheckResult) -> tuple[FamilySupport, ...]:
    """The score of each of `FAMILIES`, with the three features that cost it most."""
    scores = result.family_scores()
    return tuple(_support(family, scores[family]) for family in FAMILIES if family in scores)


def _support(family: str, score: ClientScore) -> FamilySupport:
    lacks = tuple(cost.title for cost in score.costs[:3])
    return FamilySupport(family, score.label, score.supported, lacks)


def _compatibility(families: tuple[FamilySupport, ...], notes: tuple[str, ...]) -> Finding:
    worst = min((f.score for f in families), default=100.0)
    detail = ", ".join(f"{f.name} {f.score:.0f} %" for f in families)
    if notes:
        detail += f" ({'; '.join(notes)})"
    if worst >= GOOD_SCORE:
        return Finding("HTML compatibility", "pass", detail)
    low = [f for f in families if f.score < GOOD_SCORE]
    items = tuple(f"{f.name}: {', '.join(f.lacks)}" for f in low)
    advice = (
        f"Below {GOOD_SCORE:.0f} % in {', '.join(f.name for f in low)}. The features listed "
        "are used on many elements and not fully supported there: see each one's notes in the "
        "HTML check, and use it only where its limits do not matter."
    )
    return Finding(
        "HTML compatibility", "warn" if worst >= POOR_SCORE else "fail", detail, advice, items
    )


def _link_check(check: LinkCheck) -> Finding:
    failed = [link for link in check.links if link.is_error]
    checked = plural(len(check.links), "link")
    if not failed:
        detail = f"{checked} checked" + (", all answered" if check.links else "")
        return Finding("Link check", "pass", detail)
    detail = f"{len(failed):,} of {checked} failed"
    items = tuple(
        f"{link.url} ({link.status_code} {link.status})".replace(" ()", "")
        for link in failed[:MAX_ITEMS]
    )
    advice = "Fix or remove the failing links: a user stuck on a dead reset link cannot sign in."
    return Finding("Link check", "fail", detail, advice, items)


def review(
    view: MessageView,
    links: Sequence[Link],
    *,
    html_check: HTMLCheckResult | None = None,
    link_check: LinkCheck | None = None,
) -> Review:
    """The content checks of `view` with its extracted `links`.

    `html_check` is the message's HTML check when the caller already has it (it is run here
    otherwise); `link_check` a finished link check, or None when none was run (then the report
    says so, as an "info" line).
    """
    findings = [_text_part(view.text), _links(links)]
    families: tuple[FamilySupport, ...] = ()
    if view.html:
        findings.append(_html_size(view.html))
        findings += _images_and_lang(view.html)
        result = html_check if html_check is not None else check_html(view.html)
        families = family_support(result)
        findings.append(_compatibility(families, result.notes))
    else:
        findings.append(Finding("HTML part", "info", "none: a text-only message"))
    if link_check is not None:
        findings.append(_link_check(link_check))
    else:
        findings.append(Finding("Link check", "info", "not run"))
    findings.sort(key=lambda f: ORDER[f.verdict])
    return Review(tuple(findings), families)
