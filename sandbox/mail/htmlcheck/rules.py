"""What the HTML check looks for: each caniemail feature and where in an email it shows.

The list is Mailpit's (`internal/htmlcheck`), test for test, and each feature is counted the way
Mailpit counts it: HTML elements and image formats once per element, inline CSS features once
per element whose (inlined) style uses them, CSS units once per occurrence in those styles,
`@`-rules and pseudo-classes once per occurrence in the `<style>` text, and the styling
attributes (`width=`, `bgcolor=`, …) once if any element has them.

Where Mailpit's pattern can never match what its feature describes, this matches the feature
instead (each is said on its line below): `display: none` with a space, `@media screen and (…)`,
`@font-face{`, `<input type="checkbox">` (Mailpit looks for a `<checkbox>` element), a
`radial-gradient(…)` value (Mailpit looks for a `radial-gradient:` property), `var(--x)`, … A
test whose feature is missing from the bundled caniemail data is skipped, where Mailpit would
fail the whole check.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice

from mailyard.sandbox.mail.htmlcheck.css import Declaration
from mailyard.sandbox.mail.htmlcheck.inline import Styles
from mailyard.sandbox.mail.htmlcheck.markup import BODY, HEAD, Document, Element

SCRIPT = "html-script"  # Mailpit's own test: no caniemail page, no client supports it

_SEMANTICS = (
    "article aside details figcaption figure footer header main mark nav section summary time"
)


# slug -> the element names that show it; counted once per element.
TAG_TESTS: dict[str, str] = {
    "html-object": "object embed image pdf",
    "html-link": "link",
    "html-hr": "hr",
    "html-dialog": "dialog",
    "html-picture": "picture",
    "html-svg": "svg",
    "html-progress": "progress",
    "html-meter": "meter",
    "html-audio": "audio",
    "html-form": "form",
    "html-base": "base",
    "html-video": "video",
    "html-semantics": _SEMANTICS,
    "html-select": "select",
    "html-textarea": "textarea",
    "html-style": "style",
}
_TAG_SLUG = {name: slug for slug, names in TAG_TESTS.items() for name in names.split()}


def _typed(tag: str, kind: str) -> Callable[[Element], bool]:
    return lambda element: element.name == tag and element.attrs.get("type") == kind


# slug -> which elements show it, for tests that read attributes; counted once per element.
ATTRIBUTE_ELEMENT_TESTS: dict[str, Callable[[Element], bool]] = {
    "html-srcset": lambda element: "srcset" in element.attrs,
    "html-required": lambda element: "required" in element.attrs,
    "html-input-submit": _typed("input", "submit"),  # Mailpit: a <submit> element
    "html-button-reset": _typed("button", "reset"),
    "html-button-submit": _typed("button", "submit"),
    "html-input-checkbox": _typed("input", "checkbox"),  # Mailpit: a <checkbox> element
    "html-input-hidden": lambda element: element.attrs.get("type") == "hidden",
    "html-input-radio": _typed("input", "radio"),  # Mailpit: a <radio> element
    "html-input-text": _typed("input", "text"),
    "html-anchor-links": lambda e: e.name == "a" and e.attrs.get("href", "").startswith("#"),
    "html-image-maps": lambda e: e.name == "map" or (e.name == "img" and "usemap" in e.attrs),
}
_READ_ATTRIBUTES = frozenset({"srcset", "required", "type", "href", "usemap"})
ELEMENT_TESTS = (*TAG_TESTS, *ATTRIBUTE_ELEMENT_TESTS)
BODY_TEST = "html-body"  # found when the HTML has a "</body>", as Mailpit decides it

# slug -> how an <img src> ends (lower-cased), or "data:image/" for an inline image.
IMAGE_TESTS: dict[str, tuple[str, ...]] = {
    "image-apng": (".apng",),
    "image-avif": (".avif",),
    "image-base64": ("data:image/",),  # the start of the address, not its end
    "image-bmp": (".bmp",),
    "image-gif": (".gif",),
    "image-hdr": (".hdr",),
    "image-heif": (".heif",),
    "image-ico": (".ico",),
    "image-mp4": (".mp4",),
    "image-ppm": (".ppm",),
    "image-svg": (".svg",),
    "image-tiff": (".tif", ".tiff"),
    "image-webp": (".webp",),
}

BASE64 = "image-base64"
_IMAGE_SLUG = {end: slug for slug, ends in IMAGE_TESTS.items() if slug != BASE64 for end in ends}

# Styling attributes: counted once if any element has one (as Mailpit counts them).
ATTRIBUTE_TESTS = {
    "css-background-color": "bgcolor",
    "css-background": "background",
    "css-border": "border",
    "css-height": "height",
    "css-padding": "padding",
    "css-width": "width",
}

_PROPERTY_NAMES = (
    "accent-color align-items aspect-ratio background-blend-mode background-clip "
    "background-color background-image background-origin background-position background-repeat "
    "background-size background border-image border-radius border box-shadow box-sizing "
    "caption-side clip-path column-count direction display filter flex-direction flex-wrap "
    "float font-kerning font-weight font gap grid-template height hyphens inline-size "
    "justify-content letter-spacing line-height list-style-image list-style-position list-style "
    "margin max-block-size max-height max-width min-height min-inline-size min-width "
    "mix-blend-mode object-fit object-position opacity outline-offset outline overflow-wrap "
    "overflow padding position tab-size table-layout text-align-last text-align "
    "text-decoration-color text-decoration-thickness text-decoration text-emphasis-position "
    "text-emphasis text-indent text-overflow text-shadow text-transform text-underline-offset "
    "transform visibility white-space width word-break writing-mode z-index"
)
# property -> slug, for properties whose slug is "css-" + the property name.
PROPERTIES: dict[str, str] = {name: "css-" + name for name in _PROPERTY_NAMES.split()}
PROPERTIES.update(
    {
        "margin-block-start": "css-margin-block-start-end",
        "margin-block-end": "css-margin-block-start-end",
        "margin-inline-start": "css-margin-inline-start-end",
        "margin-inline-end": "css-margin-inline-start-end",
        "padding-block-start": "css-padding-block-start-end",
        "padding-block-end": "css-padding-block-start-end",
        "padding-inline-start": "css-padding-inline-start-end",
        "padding-inline-end": "css-padding-inline-start-end",
        "border-inline": "css-border-inline-block-individual",
        # Mailpit looks for properties that do not exist ("margin-inline-block:", ...):
        "margin-inline": "css-margin-inline-block",
        "margin-block": "css-margin-inline-block",
        "padding-inline": "css-padding-inline-block",
        "padding-block": "css-padding-inline-block",
        "block-size": "css-block-inline-size",
        "columns": "css-column-layout-properties",
        "column-width": "css-column-layout-properties",
        "column-gap": "css-column-layout-properties",
        "column-rule": "css-column-layout-properties",
        "column-span": "css-column-layout-properties",
        "column-fill": "css-column-layout-properties",
    }
)
_FUNCTION = r"(?:^|[\s,(]){}\("
# slug -> a pattern over one declaration's value; Mailpit has these as properties or words.
VALUE_TESTS: dict[str, re.Pattern[str]] = {
    "css-rgb": re.compile(_FUNCTION.format("rgb"), re.IGNORECASE),
    "css-rgba": re.compile(_FUNCTION.format("rgba"), re.IGNORECASE),
    "css-unit-calc": re.compile(_FUNCTION.format("calc"), re.IGNORECASE),
    "css-conic-gradient": re.compile(r"conic-gradient\(", re.IGNORECASE),
    "css-radial-gradient": re.compile(r"radial-gradient\(", re.IGNORECASE),
    "css-modern-color": re.compile(_FUNCTION.format("(?:ok)?(?:lch|lab)"), re.IGNORECASE),
    "css-intrinsic-size": re.compile(r"\b(?:fit|min|max)-content\b", re.IGNORECASE),
    "css-variables": re.compile(r"\bvar\(\s*+--", re.IGNORECASE),
}
DISPLAY_VALUES = {
    "flex": "css-display-flex",
    "grid": "css-display-grid",
    "none": "css-display-none",
}
IMPORTANT = "css-important"
SCROLL_SNAP = "css-scroll-snap"  # any scroll-snap-* property (Mailpit: "roll-snap:")

# Units: every occurrence in every (inlined) style attribute. One pattern finds them all, in
# one pass; each starts at a word boundary, so a run of digits is tried once, not per digit.
UNIT_TESTS: dict[str, str] = {
    "css-unit-ch": "ch",
    "css-unit-initial": "initial",
    "css-unit-rem": "rem",
    "css-unit-vh": "vh",
    "css-unit-vmax": "vmax",
    "css-unit-vmin": "vmin",
    "css-unit-vw": "vw",
}
MAX_UNITS = 1_000  # counted per distinct style attribute
_UNIT_SLUG = {unit: slug for slug, unit in UNIT_TESTS.items()}
_UNIT_RE = re.compile(r"\b\d++(ch|rem|vh|vmax|vmin|vw)\b|:\s?(initial)\b")


def _literal(text: str) -> re.Pattern[str]:
    return re.compile(re.escape(text))


# At-rules and pseudo-classes: every occurrence in the text of all <style> elements.
STYLESHEET_TESTS: dict[str, re.Pattern[str]] = {
    "css-at-font-face": re.compile(r"@font-face\s*+\{", re.IGNORECASE),  # Mailpit: needs a space
    "css-at-import": re.compile(r"@import\s", re.IGNORECASE),
    "css-at-keyframes": re.compile(r"@keyframes\s", re.IGNORECASE),
    "css-at-media": re.compile(r"@media\b", re.IGNORECASE),  # Mailpit: only "@media ("
    "css-at-supports": re.compile(r"@supports\b", re.IGNORECASE),
    "css-pseudo-class-active": _literal(":active"),
    "css-pseudo-class-checked": _literal(":checked"),
    "css-pseudo-class-first-child": _literal(":first-child"),
    "css-pseudo-class-first-of-type": _literal(":first-of-type"),
    "css-pseudo-class-focus": _literal(":focus"),
    "css-pseudo-class-has": _literal(":has("),
    "css-pseudo-class-hover": _literal(":hover"),
    "css-pseudo-class-lang": re.compile(r":lang\s?\("),
    "css-pseudo-class-last-child": _literal(":last-child"),
    "css-pseudo-class-last-of-type": _literal(":last-of-type"),
    "css-pseudo-class-link": _literal(":link"),
    "css-pseudo-class-not": re.compile(r":not\s*+\("),
    "css-pseudo-class-nth-child": re.compile(r":nth-child\s*+\("),
    "css-pseudo-class-nth-last-child": re.compile(r":nth-last-child\s*+\("),
    "css-pseudo-class-nth-last-of-type": re.compile(r":nth-last-of-type\s*+\("),
    "css-pseudo-class-nth-of-type": re.compile(r":nth-of-type\s*+\("),
    "css-pseudo-class-only-child": _literal(":only-child"),  # Mailpit: ":only-child("
    "css-pseudo-class-only-of-type": _literal(":only-of-type"),  # Mailpit: ":only-of-type("
    "css-pseudo-class-target": _literal(":target"),
    "css-pseudo-class-visited": _literal(":visited"),
    "css-pseudo-element-after": _literal(":after"),
    "css-pseudo-element-before": _literal(":before"),
    "css-pseudo-element-first-letter": _literal("::first-letter"),
    "css-pseudo-element-first-line": _literal("::first-line"),
    "css-pseudo-element-marker": _literal("::marker"),
    "css-pseudo-element-placeholder": _literal("::placeholder"),
}
_INLINE_TEST_COUNT = len(set(PROPERTIES.values())) + len(VALUE_TESTS) + len(DISPLAY_VALUES) + 2
_BODY_END_RE = re.compile(r"</body>", re.IGNORECASE)
_NOT_SCRIPTS = frozenset({"application/ld+json", "application/json"})


@dataclass(frozen=True)
class Findings:
    """How often each feature was found (in the order Mailpit reports them), and the totals."""

    html: dict[str, int]  # HTML elements and image formats
    css: dict[str, int]  # inline CSS, units and stylesheet features
    scripts: int
    tests: int  # counted as Mailpit counts them (see `find`)
    nodes: int


def _declaration_slugs(declared: Declaration) -> set[str]:
    found: set[str] = set()
    slug = PROPERTIES.get(declared.prop)
    if slug is not None:
        found.add(slug)
    if declared.prop.startswith("scroll-snap"):
        found.add(SCROLL_SNAP)
    if declared.prop == "display":
        first = declared.value.split(maxsplit=1)[0].lower() if declared.value else ""
        if first in DISPLAY_VALUES:
            found.add(DISPLAY_VALUES[first])
    if declared.prop.startswith("--"):
        found.add("css-variables")
    if declared.important:
        found.add(IMPORTANT)
    if "(" in declared.value or "-content" in declared.value:
        found.update(slug for slug, test in VALUE_TESTS.items() if test.search(declared.value))
    return found


def _count(found: dict[str, int], slug: str, times: int = 1) -> None:
    if times:
        found[slug] = found.get(slug, 0) + times


def _elements(elements: list[Element]) -> dict[str, int]:
    found: dict[str, int] = {}
    for element in elements[BODY + 1 :]:
        slug = _TAG_SLUG.get(element.name)
        if slug is not None:
            _count(found, slug)
        if element.name == "map" or not _READ_ATTRIBUTES.isdisjoint(element.attrs):
            for slug, test in ATTRIBUTE_ELEMENT_TESTS.items():
                if test(element):
                    _count(found, slug)
    return found


def _nodes(document: Document, has_body_end: bool) -> int:
    """Mailpit's node count: `body *, script`, or every element but html, head and meta
    when the HTML has a `</body>`."""
    elements = document.elements
    if has_body_end:
        skipped = sum(1 for e in elements[BODY + 1 :] if e.name == "meta")
        return len(elements) - 2 - skipped  # html and head
    in_body = sum(document.body_flags()) - 1  # not body itself
    head_scripts = sum(1 for e in elements if e.parent == HEAD and e.name == "script")
    return in_body + head_scripts


def find(document: Document, styles: Styles, html: str) -> Findings:
    """Every feature of `document` (inlined as `styles`; `html` its source) and its count.

    `tests` follows Mailpit's arithmetic, quirks included: each HTML element test counts once,
    and once more when it was found; `<script>` counts when present.
    """
    elements = document.elements
    has_body_end = _BODY_END_RE.search(html) is not None
    scripts = sum(
        1 for e in elements if e.name == "script" and e.attrs.get("type", "") not in _NOT_SCRIPTS
    )
    html_found = _elements(elements)
    if has_body_end:
        html_found[BODY_TEST] = 1
    for element in elements:
        src = element.attrs.get("src") if element.name == "img" else None
        if src is None:
            continue
        lowered = src.lower()
        slug = _IMAGE_SLUG.get("." + lowered.rpartition(".")[2])
        if slug is not None:
            _count(html_found, slug)
        if lowered.startswith(IMAGE_TESTS[BASE64]):
            _count(html_found, BASE64)
    tests = (
        (1 if scripts else 0)
        + len(ELEMENT_TESTS)
        + 1
        + sum(1 for slug in html_found if slug != BODY_TEST)
        + len(IMAGE_TESTS)
    )

    css_found: dict[str, int] = {}
    # Elements with the same style share one list of declarations (see `inline`), and the same
    # declarations recur across lists: each is worked out once.
    known: dict[Declaration, set[str]] = {}
    per_list: dict[int, list[str]] = {}
    for declared in styles.declarations.values():
        slugs = per_list.get(id(declared))
        if slugs is None:
            found: set[str] = set()
            for one in declared:
                if one not in known:
                    known[one] = _declaration_slugs(one)
                found |= known[one]
            slugs = per_list[id(declared)] = sorted(found)
        for slug in slugs:
            _count(css_found, slug)
    for slug, attribute in ATTRIBUTE_TESTS.items():
        if any(attribute in e.attrs for e in elements) or any(
            attribute in added for added in styles.added_attrs.values()
        ):
            _count(css_found, slug)
    units: dict[str, int] = {}
    for style, times in Counter(styles.style.values()).items():
        if any(unit in style for unit in _UNIT_SLUG):
            for match in islice(_UNIT_RE.finditer(style), MAX_UNITS):
                unit = _UNIT_SLUG[match.group(1) or match.group(2)]
                units[unit] = units.get(unit, 0) + times
    for slug in UNIT_TESTS:
        _count(css_found, slug, units.get(slug, 0))
    stylesheet = "".join(e.text for e in elements if e.name == "style")
    for slug, pattern in STYLESHEET_TESTS.items():
        _count(css_found, slug, _occurrences(pattern, stylesheet))
    tests += _INLINE_TEST_COUNT + len(ATTRIBUTE_TESTS) + len(UNIT_TESTS) + len(STYLESHEET_TESTS)
    return Findings(html_found, css_found, scripts, tests, _nodes(document, has_body_end))


def _occurrences(pattern: re.Pattern[str], text: str) -> int:
    return sum(1 for _ in pattern.finditer(text)) if text else 0
