"""Just enough CSS to move `<style>` rules onto the elements they style, as an inliner does.

Mailpit merges an email's `<style>` rules into each element's `style` attribute (go-premailer)
before it looks for CSS properties, so a `.button { border-radius: 6px }` counts once for each
element with that class. This module reads the rules and matches their selectors:

- **Rules**: comments removed, at-rule blocks (`@media`, `@font-face`, …) skipped whole, since
  an inliner leaves them in `<style>`; each remaining `selectors { declarations }` kept.
- **Selectors**: type, `*`, `#id`, `.class`, `[attr]` with `= ~= |= ^= $= *=`, the
  combinators ` `, `>`, `+`, `~`, and `:first-child`, `:last-child`, `:only-child`,
  `:first-of-type`, `:last-of-type`, `:nth-child(an+b)`. A selector using anything else is
  not inlined; an inliner leaves the same ones (`:hover`, `::before`, …) in `<style>`.
- **Bounded**: a comment runs to its `*/` or to the end of the text (as in a browser), so a
  thousand unclosed `/*` cost one pass, not one pass each; blocks are found with `str.find`;
  at most `MAX_BLOCKS` top-level blocks are read and `MAX_RULES` rules kept;
  matching spends a step budget the caller gives (`Budget`), so `.a .b .c` against thousands of
  deeply nested elements stops instead of running for seconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailyard.sandbox.mail.htmlcheck.markup import Element

MAX_RULES = 2_000
MAX_BLOCKS = 5_000
MAX_COMPOUNDS = 16

# Each match ends at its "*/" or at the end of the text, so no start is scanned twice.
_COMMENT_RE = re.compile(r"/\*.*?(?:\*/|\Z)", re.DOTALL)
_IMPORTANT_RE = re.compile(r"!\s*+important\s*+$", re.IGNORECASE)
_SIMPLE_RE = re.compile(
    r"""(?P<tag>[a-zA-Z][\w-]*+|\*)"""
    r"""|\#(?P<id>[\w-]++)"""
    r"""|\.(?P<cls>[\w-]++)"""
    r"""|\[\s*+(?P<attr>[\w:-]++)\s*+(?:(?P<op>[~|^$*]?=)\s*+"""
    r"""(?:"(?P<dq>[^"]*+)"|'(?P<sq>[^']*+)'|(?P<uq>[^\s\]"']++))\s*+)?\]"""
    r"""|:(?P<pseudo>[\w-]++)(?:\(\s*+(?P<arg>[^)]*+)\))?"""
    r"""|(?P<comb>\s*+[>+~]\s*+|\s++)"""
)
_NTH_RE = re.compile(
    r"(?:(?P<a>[+-]?\d*+)n\s*+(?:(?P<sign>[+-])\s*+(?P<b1>\d++))?|(?P<b>[+-]?\d++))"
)
_PSEUDOS = frozenset(
    ("first-child", "last-child", "only-child", "first-of-type", "last-of-type", "nth-child")
)


@dataclass(frozen=True)
class Declaration:
    """One `property: value`, the property lower-cased, `!important` taken off the value."""

    prop: str
    value: str
    important: bool


def declarations(block: str, limit: int) -> list[Declaration]:
    """The declarations of a `style` attribute or a rule's block, at most `limit` of them."""
    found: list[Declaration] = []
    for piece in block.split(";", limit):
        prop, colon, value = piece.partition(":")
        prop = prop.strip().lower()
        if not colon or not prop:
            continue
        important = _IMPORTANT_RE.search(value)
        if important:
            value = value[: important.start()]
        found.append(Declaration(prop, value.strip(), important is not None))
        if len(found) >= limit:
            break
    return found


def _without_comments(css: str) -> str:
    return _COMMENT_RE.sub("", css) if "/*" in css else css


def _block_end(css: str, i: int) -> int:
    """The index after the `}` that closes the block opened just before `i` (or the end)."""
    depth = 1
    n = len(css)
    while depth:
        close = css.find("}", i)
        if close < 0:
            return n
        opened = css.count("{", i, close)
        depth += opened - 1
        i = close + 1
    return i


def rules(css: str) -> list[tuple[str, str]]:
    """`(selector list, declaration block)` of each top-level style rule, in order."""
    css = _without_comments(css)
    found: list[tuple[str, str]] = []
    i = 0
    for _ in range(MAX_BLOCKS):
        if len(found) >= MAX_RULES:
            break
        brace = css.find("{", i)
        if brace < 0:
            break
        prelude = css[i:brace].rpartition(";")[2].rpartition("}")[2].strip()
        end = _block_end(css, brace + 1)
        if prelude and not prelude.startswith("@"):
            body = css[brace + 1 : end - 1]
            if "{" not in body:  # nested rules (CSS nesting) are not inlined
                found.append((prelude, body))
        i = end
    return found


@dataclass(frozen=True)
class _Simple:
    kind: str  # "tag", "id", "cls", "attr", "pseudo"
    name: str
    op: str = ""
    value: str = ""


@dataclass(frozen=True)
class Selector:
    """A parsed selector: compounds right to left, each with the combinator to its left."""

    compounds: tuple[tuple[tuple[_Simple, ...], str], ...]
    specificity: tuple[int, int, int]

    @property
    def key(self) -> tuple[str, str] | None:
        """An index key of the rightmost compound: ("id"|"cls"|"tag", value), if any."""
        for kind in ("id", "cls", "tag"):
            for simple in self.compounds[0][0]:
                if simple.kind == kind and simple.name != "*":
                    return kind, simple.name
        return None


def selector(text: str) -> Selector | None:
    """The parsed `text`, or None when it uses something this module does not match."""
    text = text.strip()
    compounds: list[tuple[tuple[_Simple, ...], str]] = []
    current: list[_Simple] = []
    combinator = ""
    i = 0
    ids = classes = types = 0
    while i < len(text):
        m = _SIMPLE_RE.match(text, i)
        if m is None or m.end() == i:
            return None
        i = m.end()
        if m.group("comb") is not None:
            if not current:
                return None
            compounds.append((tuple(current), combinator))
            current, combinator = [], m.group("comb").strip() or " "
            if len(compounds) >= MAX_COMPOUNDS:
                return None
        elif m.group("tag"):
            types += m.group("tag") != "*"
            current.append(_Simple("tag", m.group("tag").lower()))
        elif m.group("id"):
            ids += 1
            current.append(_Simple("id", m.group("id")))
        elif m.group("cls"):
            classes += 1
            current.append(_Simple("cls", m.group("cls")))
        elif m.group("attr"):
            classes += 1
            value = m.group("dq") or m.group("sq") or m.group("uq") or ""
            current.append(_Simple("attr", m.group("attr").lower(), m.group("op") or "", value))
        else:
            pseudo = m.group("pseudo").lower()
            if pseudo not in _PSEUDOS or (pseudo == "nth-child") != (m.group("arg") is not None):
                return None
            classes += 1
            current.append(_Simple("pseudo", pseudo, value=m.group("arg") or ""))
    if not current:
        return None
    compounds.append((tuple(current), combinator))
    # Each compound carries the combinator on its left; matching runs right to left.
    return Selector(tuple(reversed(compounds)), (ids, classes, types))


def _nth(arg: str, position: int) -> bool:
    arg = arg.strip().lower()
    if arg in ("odd", "even"):
        return position % 2 == (1 if arg == "odd" else 0)
    m = _NTH_RE.fullmatch(arg.replace(" ", ""))
    if m is None:
        return False
    if m.group("b") is not None:
        return position == int(m.group("b"))
    a_text = m.group("a")
    a = -1 if a_text == "-" else 1 if a_text in ("", "+") else int(a_text)
    b = int(m.group("b1") or 0) * (-1 if m.group("sign") == "-" else 1)
    if a == 0:
        return position == b
    return (position - b) % a == 0 and (position - b) // a >= 0


STEP = 8  # the cost of testing one compound on one element, in `Budget` units


class Budget:
    """Work left for selector matching, in units of about 0.15 µs: a Bloom filter rejection
    or a sibling looked at is 1, a compound tested on an element is `STEP`."""

    def __init__(self, steps: int) -> None:
        self.left = steps

    @property
    def spent(self) -> bool:
        return self.left <= 0


class Matcher:
    """Matches parsed selectors against the elements of one document."""

    def __init__(self, elements: list[Element], budget: Budget) -> None:
        self.elements = elements
        self.budget = budget
        self._classes: dict[int, frozenset[str]] = {}
        self._masks: dict[int, tuple[int, ...]] = {}  # by id(selector)
        # Per element, a 64-bit Bloom filter of its ancestors' tags, ids and classes, as
        # browsers keep one: `.a .b` is rejected for a `.b` with no `.a` above it in one step
        # instead of a walk to the root. A parent precedes its children in `elements`.
        self.ancestors = [0] * len(elements)
        for i in range(1, len(elements)):
            parent = elements[i].parent
            self.ancestors[i] = self.ancestors[parent] | self._own_bits(parent)

    def _own_bits(self, index: int) -> int:
        element = self.elements[index]
        bits = _bit("tag", element.name)
        if "id" in element.attrs:
            bits |= _bit("id", element.attrs["id"])
        for name in self.classes(index):
            bits |= _bit("cls", name)
        return bits

    def ancestor_masks(self, sel: Selector) -> tuple[int, ...]:
        """Per compound, the bits that compounds further left, reached only through ` ` and
        `>`, require of the element's ancestors."""
        masks = self._masks.get(id(sel))
        if masks is None:
            compounds = sel.compounds
            found = []
            for at in range(len(compounds)):
                mask, k = 0, at
                while compounds[k][1] in (" ", ">"):
                    mask |= _required_bits(compounds[k + 1][0])
                    k += 1
                found.append(mask)
            masks = self._masks[id(sel)] = tuple(found)
        return masks

    def classes(self, index: int) -> frozenset[str]:
        found = self._classes.get(index)
        if found is None:
            found = frozenset(self.elements[index].attrs.get("class", "").split())
            self._classes[index] = found
        return found

    def _siblings(self, index: int) -> list[int]:
        parent = self.elements[index].parent
        return self.elements[parent].children if parent >= 0 else [index]

    def _simple(self, simple: _Simple, index: int) -> bool:
        element = self.elements[index]
        kind = simple.kind
        if kind == "tag":
            return simple.name == "*" or element.name == simple.name
        if kind == "id":
            return element.attrs.get("id") == simple.name
        if kind == "cls":
            return simple.name in self.classes(index)
        if kind == "attr":
            actual = element.attrs.get(simple.name)
            return actual is not None and _attribute(simple.op, actual, simple.value)
        siblings = self._siblings(index)
        self.budget.left -= 1
        if simple.name.endswith("of-type"):
            siblings = [s for s in siblings if self.elements[s].name == element.name]
            self.budget.left -= len(siblings)
        if simple.name in ("first-child", "first-of-type"):
            return siblings[0] == index
        if simple.name in ("last-child", "last-of-type"):
            return siblings[-1] == index
        if simple.name == "only-child":
            return len(siblings) == 1
        self.budget.left -= len(siblings)
        return _nth(simple.value, siblings.index(index) + 1)

    def _compound(self, compound: tuple[_Simple, ...], index: int) -> bool:
        self.budget.left -= STEP
        return all(self._simple(simple, index) for simple in compound)

    def matches(self, sel: Selector, index: int, at: int = 0) -> bool:
        """Whether element `index` matches `sel` from its `at`th compound leftwards."""
        if self.budget.spent:
            return False
        required = self.ancestor_masks(sel)[at]
        if required & self.ancestors[index] != required:
            self.budget.left -= 1
            return False
        compound, combinator = sel.compounds[at]
        if not self._compound(compound, index):
            return False
        if not combinator:
            return True
        element = self.elements[index]
        if combinator in (">", " "):
            parent = element.parent
            while parent >= 0 and not self.budget.spent:
                if self.matches(sel, parent, at + 1):
                    return True
                if combinator == ">":
                    return False
                parent = self.elements[parent].parent
            return False
        siblings = self._siblings(index)
        before = siblings[: siblings.index(index)]
        self.budget.left -= len(before)
        if combinator == "+":
            return bool(before) and self.matches(sel, before[-1], at + 1)
        return any(self.matches(sel, s, at + 1) for s in reversed(before))


def _bit(kind: str, name: str) -> int:
    return 1 << (hash((kind, name)) & 63)


def _required_bits(compound: tuple[_Simple, ...]) -> int:
    bits = 0
    for simple in compound:
        if simple.kind in ("id", "cls") or (simple.kind == "tag" and simple.name != "*"):
            bits |= _bit(simple.kind, simple.name)
    return bits


def _attribute(op: str, actual: str, wanted: str) -> bool:
    if op == "":
        return True
    if op == "=":
        return actual == wanted
    if op == "~=":
        return wanted in actual.split()
    if op == "|=":
        return actual == wanted or actual.startswith(wanted + "-")
    if not wanted:
        return False
    if op == "^=":
        return actual.startswith(wanted)
    if op == "$=":
        return actual.endswith(wanted)
    return wanted in actual
