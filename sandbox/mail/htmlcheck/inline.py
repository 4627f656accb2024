"""Each element's style once the `<style>` rules are moved onto it, as Mailpit's inliner does.

Mailpit runs go-premailer before it looks at inline CSS. What that does, and so what this does:

- Only `<style>` elements without a `media` attribute (or with `media="all"`) give rules.
- A selector with a dynamic or unsupported pseudo-class (`:hover`, `:visited`, `::before`,
  `:checked`, `:lang`, …), an at-rule, or a `*` anywhere stays in `<style>`: not inlined.
- Rules apply in order of `!important`, then specificity, then source order; the element's own
  `style` attribute comes last and wins. An `!important` from a rule stays on the value.
- The result is written `prop:value;prop:value`, each property once, where it last applied.
- A `width` or `height` in `px` (or `0`) also becomes the element's `width`/`height` attribute,
  on every element a rule touched.

Elements no rule touched keep their `style` attribute as written. Where the selectors, rules or
matching budget of `css` run out, the rest is not inlined and a note says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mailyard.sandbox.mail.htmlcheck.css import (
    Budget,
    Declaration,
    Matcher,
    Selector,
    declarations,
    rules,
    selector,
)
from mailyard.sandbox.mail.htmlcheck.markup import Document

MAX_DECLARATIONS = 256  # per style attribute or rule
MAX_TOTAL_DECLARATIONS = 50_000
# Matching budget (`css.Budget` units, ~0.2 µs each): this, plus one unit per
# `CHARS_PER_STEP` characters of HTML: ~10 ms for 100 KB. mailyard's own emails use ~2,000;
# a dense 28 KB email with 60 class rules over 1,600 elements ~70,000, and is inlined in part
# (its result says so).
BASE_STEPS = 50_000
CHARS_PER_STEP = 8

_UNMERGEABLE_RE = re.compile(
    r"(?i):{1,2}(?:visited|active|hover|focus|link|root|in-range|invalid|valid|after|before|"
    r"selection|target|first-(?:line|letter))|^@|:(?:checked|disabled|enabled|lang)"
)


@dataclass
class Styles:
    """Per element: the style string the CSS tests read and the attributes the inliner added."""

    style: dict[int, str] = field(default_factory=dict)
    declarations: dict[int, list[Declaration]] = field(default_factory=dict)
    added_attrs: dict[int, dict[str, str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Rule:
    order: tuple[int, tuple[int, int, int], int]
    selector: Selector
    declarations: tuple[Declaration, ...]


def _rules(document: Document, notes: list[str]) -> list[_Rule]:
    found: list[_Rule] = []
    count = 0
    for element in document.elements:
        if element.name != "style" or element.attrs.get("media", "all").strip() != "all":
            continue
        for selectors, block in rules(element.text):
            declared = declarations(block, MAX_DECLARATIONS)
            for text in selectors.split(","):
                if _UNMERGEABLE_RE.search(text) or "*" in text:
                    continue
                parsed = selector(text)
                if parsed is None:
                    continue
                for important in (False, True):
                    chosen = tuple(d for d in declared if d.important == important)
                    if chosen:
                        found.append(_Rule((important, parsed.specificity, count), parsed, chosen))
                        count += 1
    if count and len(found) != count:
        notes.append("some CSS rules were not inlined")
    found.sort(key=lambda rule: rule.order)
    return found


def _candidates(
    document: Document, rule: _Rule, index: dict[tuple[str, str], list[int]]
) -> list[int]:
    key = rule.selector.key
    return index.get(key, []) if key is not None else list(range(len(document.elements)))


def _index(document: Document) -> dict[tuple[str, str], list[int]]:
    found: dict[tuple[str, str], list[int]] = {}
    for i, element in enumerate(document.elements):
        found.setdefault(("tag", element.name), []).append(i)
        if "id" in element.attrs:
            found.setdefault(("id", element.attrs["id"]), []).append(i)
        for name in set(element.attrs.get("class", "").split()):
            found.setdefault(("cls", name), []).append(i)
    return found


@dataclass(frozen=True)
class _Merged:
    declarations: list[Declaration]
    style: str
    attrs: dict[str, str]


def _merge(applied: list[_Rule], raw: str) -> _Merged:
    """One element's rules (in cascade order) and its own style, merged as premailer does."""
    merged: dict[str, Declaration] = {}
    for rule in applied:
        for declared in rule.declarations:
            merged.pop(declared.prop, None)  # re-inserted: the order is where it last applied
            merged[declared.prop] = declared
    for declared in declarations(raw, MAX_DECLARATIONS):
        merged.pop(declared.prop, None)
        merged[declared.prop] = Declaration(declared.prop, declared.value, False)
    final = list(merged.values())
    style = ";".join(f"{d.prop}:{d.value}{' !important' if d.important else ''}" for d in final)
    attrs = {
        d.prop: d.value.removesuffix("px")
        for d in final
        if d.prop in ("width", "height") and (d.value.endswith("px") or d.value == "0")
    }
    return _Merged(final, style, attrs)


def inline(document: Document, html_length: int) -> Styles:
    """The styles of `document`'s elements after inlining; see the module docstring."""
    result = Styles()
    applied: dict[int, list[_Rule]] = {}
    css_rules = _rules(document, result.notes)
    if css_rules:
        budget = Budget(BASE_STEPS + html_length // CHARS_PER_STEP)
        matcher = Matcher(document.elements, budget)
        index = _index(document)
        ancestors = matcher.ancestors
        for rule in css_rules:
            required = matcher.ancestor_masks(rule.selector)[0]
            candidates = _candidates(document, rule, index)
            budget.left -= len(candidates)
            for i in candidates:
                if required & ancestors[i] != required:  # cheap, so counted for all above
                    continue
                if matcher.matches(rule.selector, i):
                    applied.setdefault(i, []).append(rule)
                    budget.left -= len(rule.declarations)  # merged below
                if budget.spent:
                    break
            if budget.spent:
                result.notes.append(
                    "CSS from <style> was inlined in part: too many rules for so many elements"
                )
                break
    left = MAX_TOTAL_DECLARATIONS
    # Emails repeat the same style attribute, and the same classes, on many elements: each
    # distinct one is parsed and merged once, and its result shared.
    parsed: dict[str, list[Declaration]] = {}
    merges: dict[tuple[tuple[int, ...], str], _Merged] = {}
    for i, element in enumerate(document.elements):
        raw = element.attrs.get("style")
        if i not in applied:
            if raw is not None and left > 0:
                own = parsed.get(raw)
                if own is None:
                    own = parsed[raw] = declarations(raw, min(MAX_DECLARATIONS, left))
                    left -= len(own)
                result.style[i] = raw
                result.declarations[i] = own
            continue
        key = (tuple(rule.order[2] for rule in applied[i]), raw or "")
        merged = merges.get(key)
        if merged is None:
            merged = merges[key] = _merge(applied[i], raw or "")
            left -= len(merged.declarations)
        result.declarations[i] = merged.declarations
        result.style[i] = merged.style
        if merged.attrs:
            result.added_attrs[i] = merged.attrs
    if left <= 0:
        result.notes.append(f"only the first {MAX_TOTAL_DECLARATIONS:,} CSS declarations checked")
    return result
