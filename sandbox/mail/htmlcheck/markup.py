"""An email's HTML as a flat tree of elements, read in one linear, capped pass.

The HTML check counts elements, reads attributes and matches CSS selectors, so it needs a tree,
not the few tags `htmlscan` reads. Mailpit builds it with a full HTML5 parser; this one follows
the parts of the HTML5 tree-building rules that change what the check sees, and no more:

- The document always has `html`, `head` and `body` (elements 0, 1, 2), as an HTML5 parser's
  does. `<title>`, `<style>`, `<meta>`, `<link>`, `<base>`, `<script>`, … seen before any body
  content go into `head`; anything else, or visible text, starts the body.
- Void elements (`<img>`, `<br>`, …) and raw-text elements (`<style>`, `<script>`, …, whose
  content is text up to their end tag) never hold children; `<image>` is `<img>`.
- A few implied end tags keep siblings siblings: a block closes an open `<p>`, `<li>` closes
  `<li>`, a cell closes a cell, a row closes a row (and a row directly in `<table>` gets the
  `<tbody>` HTML5 inserts), `<option>` closes `<option>`, a heading closes a heading. An end
  tag closes the nearest open element of its name; `</p>` and `</br>` with none open create
  one, as in HTML5. Scope rules beyond that are not modelled.

Bounds (hostile input is part of the job, issue 9): only the first `MAX_HTML_CHARS` are read;
after `element_cap(len(html))` elements (at most `MAX_ELEMENTS`), or three times as many tags
and comments, reading stops; past `MAX_DEPTH` open elements new ones are still
counted but attached flat; a tag keeps its first `MAX_ATTRIBUTES` attributes; entity decoding
stops after `MAX_ENTITIES` `&`. Every regex is possessive or a plain class, and each is tried
once per position it starts at, so `"<" * 20000`, `"<style " * 8000` or a 1 MB attribute cost
one pass. What was cut is said in `Document.notes`.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

MAX_HTML_CHARS = 2 * 1024 * 1024
MAX_ELEMENTS = 20_000
# Fewer for short HTML: elements cost Python steps, characters do not, and no input may cost
# more than its size allows (50 ms per 100 KB). Real email HTML runs 60 to 160 characters per
# element, inline styles included (mailyard's own: 160); 100 KB of "<p>" would be 34,000.
BASE_ELEMENTS = 1_000
CHARS_PER_ELEMENT = 48
TOKENS_PER_ELEMENT = 3  # end tags and comments count too: "</div>" * 10**5 is as many steps
MAX_DEPTH = 256
MAX_ATTRIBUTES = 64
MAX_ENTITIES = 20_000
_SCAN = 32  # how far down the open elements an implied end tag looks

HTML, HEAD, BODY = 0, 1, 2


def _names(words: str) -> frozenset[str]:
    return frozenset(words.split())


VOID = _names(
    "area base basefont bgsound br col embed frame hr img input keygen link meta param source "
    "track wbr"
)
RAW_TEXT = _names("script style textarea title xmp iframe noembed noframes noscript")
_HEAD_ONLY = _names("base basefont bgsound link meta noframes script style template title")
_CLOSES_P = _names(
    "address article aside blockquote center details dialog dir div dl fieldset figcaption "
    "figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr li main menu nav ol p pre section "
    "summary table ul dd dt"
)
_HEADINGS = _names("h1 h2 h3 h4 h5 h6")
# name -> (names it closes, names that stop the search)
_IMPLIED = {
    "li": (frozenset({"li"}), frozenset({"ul", "ol", "table", "td", "th"})),
    "dd": (frozenset({"dd", "dt"}), frozenset({"dl", "table", "td", "th"})),
    "dt": (frozenset({"dd", "dt"}), frozenset({"dl", "table", "td", "th"})),
    "td": (frozenset({"td", "th"}), frozenset({"tr", "table"})),
    "th": (frozenset({"td", "th"}), frozenset({"tr", "table"})),
    "tr": (frozenset({"tr"}), frozenset({"table", "tbody", "thead", "tfoot"})),
    "tbody": (frozenset({"tbody", "thead", "tfoot"}), frozenset({"table"})),
    "thead": (frozenset({"tbody", "thead", "tfoot"}), frozenset({"table"})),
    "tfoot": (frozenset({"tbody", "thead", "tfoot"}), frozenset({"table"})),
    "option": (frozenset({"option"}), frozenset({"select", "datalist"})),
}
_P_SCOPE = _names("td th table button caption object marquee applet template")

_TOKEN_RE = re.compile(r"<(?:(?P<start>[a-zA-Z])|/(?P<end>[a-zA-Z])?|(?P<comment>!--)|[!?])")
_NAME_RE = re.compile(r"[^\t\n\f\r />]*+")
# One attribute (or the tag's ">") in one match; every part possessive, so a failed match is
# never retried shorter. A name may start with "=". A value's unclosed quote runs to the end.
_ATTRIBUTE_RE = re.compile(
    r"""[\t\n\f\r /]*+(?:(?P<close>>)|(?P<name>=?[^\t\n\f\r />=]++|=)"""
    r"""(?:[\t\n\f\r ]*+=[\t\n\f\r ]*+"""
    r"""(?:"(?P<dq>[^"]*+)(?P<dq_end>")?|'(?P<sq>[^']*+)(?P<sq_end>')?"""
    r"""|(?P<bare>[^\t\n\f\r >]*+)))?)"""
)
_TAG_REST_RE = re.compile(r"""(?:[^>"']++|"[^"]*+"|'[^']*+')*+>""")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@dataclass(eq=False, slots=True)
class Element:
    """One element: its name, attributes (names lower-cased, first wins) and place in the tree."""

    name: str
    attrs: dict[str, str]
    parent: int
    children: list[int] = field(default_factory=list)
    text: str = ""  # the content of a raw-text element (the CSS of a `<style>`)


@dataclass
class Document:
    """The elements in document order; `notes` say what a bound cut short."""

    elements: list[Element]
    notes: list[str] = field(default_factory=list)

    def body_flags(self) -> list[bool]:
        """For each element, whether it is `body` or inside it (a parent precedes its children)."""
        flags = [False] * len(self.elements)
        flags[BODY] = True
        for i in range(BODY + 1, len(self.elements)):
            flags[i] = flags[self.elements[i].parent]
        return flags


def _end(pattern: re.Pattern[str], markup: str, i: int) -> int:
    found = pattern.match(markup, i)
    return found.end() if found else i


class _Entities:
    """Decodes character references until the document's budget of `&` is spent."""

    def __init__(self) -> None:
        self.left = MAX_ENTITIES

    def __call__(self, value: str) -> str:
        if "&" not in value:
            return value
        count = value.count("&")
        if count > self.left:
            self.left = 0
            return value
        self.left -= count
        return html.unescape(value)


def _attributes(markup: str, i: int, unescape: _Entities) -> tuple[dict[str, str], int]:
    """The attributes of a tag whose name ends at `i`, and the index after its `>`."""
    attrs: dict[str, str] = {}
    if markup.startswith(">", i):  # the common case, kept cheap
        return attrs, i + 1
    for _ in range(MAX_ATTRIBUTES):
        m = _ATTRIBUTE_RE.match(markup, i)
        if m is None:  # only the end of the text is left
            return attrs, len(markup)
        i = m.end()
        if m.group("close") is not None:
            return attrs, i
        name, value = m.group("name").lower(), m.group("dq", "sq", "bare")
        if (value[0] is not None and m.group("dq_end") is None) or (
            value[1] is not None and m.group("sq_end") is None
        ):
            return attrs, i  # an unclosed quote swallows the rest, as in a browser
        if name not in attrs:
            text = value[0] or value[1] or value[2]
            attrs[name] = unescape(text) if text else ""
    rest = _TAG_REST_RE.match(markup, i)
    return attrs, rest.end() if rest else len(markup)


class _Builder:
    """Places elements as they are read; see the module docstring for the rules kept."""

    def __init__(self, most: int) -> None:
        self.most = most
        self.elements = [
            Element("html", {}, -1),
            Element("head", {}, HTML),
            Element("body", {}, HTML),
        ]
        self.elements[HTML].children = [HEAD, BODY]
        self.stack = [BODY]
        self.open: dict[str, int] = {}
        self.in_head = True
        self.notes: list[str] = []

    def _add(self, name: str, attrs: dict[str, str], parent: int) -> int:
        index = len(self.elements)
        self.elements.append(Element(name, attrs, parent))
        self.elements[parent].children.append(index)
        return index

    def _pop(self) -> None:
        name = self.elements[self.stack.pop()].name
        self.open[name] -= 1

    def _pop_through(self, names: frozenset[str], stops: frozenset[str]) -> None:
        """Closes the nearest open element named in `names`, unless a `stops` comes first."""
        for name in names:
            if self.open.get(name):
                break
        else:
            return
        for depth in range(1, min(_SCAN, len(self.stack) - 1) + 1):
            name = self.elements[self.stack[-depth]].name
            if name in names:
                for _ in range(depth):
                    self._pop()
                return
            if name in stops:
                return

    def _foreign(self) -> bool:
        return bool(self.open.get("svg") or self.open.get("math"))

    def start(self, name: str, attrs: dict[str, str], self_closing: bool) -> int | None:
        """Adds a start tag's element (None for `html`, `head` and `body`, which are merged)."""
        if name in ("html", "body"):
            target = self.elements[HTML if name == "html" else BODY].attrs
            for key, value in attrs.items():
                target.setdefault(key, value)
            self.in_head = self.in_head and name == "html"
            return None
        if name == "head":
            return None
        if self.in_head and name in _HEAD_ONLY:
            return self._add(name, attrs, HEAD)
        self.in_head = False
        foreign = self._foreign()
        if name == "image" and not foreign:
            name = "img"
        if not foreign:
            if name in _CLOSES_P and self.open.get("p"):
                self._pop_through(frozenset({"p"}), _P_SCOPE)
            if name in _HEADINGS and self.elements[self.stack[-1]].name in _HEADINGS:
                self._pop()
            implied = _IMPLIED.get(name)
            if implied is not None:
                self._pop_through(*implied)
            if name == "tr" and self.elements[self.stack[-1]].name == "table":
                self._push(self._add("tbody", {}, self.stack[-1]))
        index = self._add(name, attrs, self.stack[-1])
        if not (name in VOID or name in RAW_TEXT or (self_closing and foreign)):
            self._push(index)
        return index

    def _push(self, index: int) -> None:
        if len(self.stack) >= MAX_DEPTH:
            if "depth" not in self.notes:
                self.notes.append("depth")
            return
        self.stack.append(index)
        name = self.elements[index].name
        self.open[name] = self.open.get(name, 0) + 1

    def end(self, name: str) -> None:
        """Closes the nearest open element called `name`."""
        if name in ("html", "body", "head"):
            return
        if not self.open.get(name):
            if name in ("p", "br") and len(self.elements) < self.most:
                self.in_head = False
                self._add(name, {}, self.stack[-1])
            return
        while self.elements[self.stack[-1]].name != name:
            self._pop()
        self._pop()

    def text(self, chunk: str) -> None:
        if self.in_head and chunk.strip():
            self.in_head = False


def element_cap(length: int) -> int:
    """How many elements are read from HTML of `length` characters (see the module docstring)."""
    return min(MAX_ELEMENTS, BASE_ELEMENTS + length // CHARS_PER_ELEMENT)


def parse(markup: str) -> Document:
    """The element tree of `markup`; see the module docstring for what is and is not kept."""
    notes: list[str] = []
    if len(markup) > MAX_HTML_CHARS:
        notes.append(f"only the first {MAX_HTML_CHARS // (1024 * 1024)} MiB of the HTML checked")
        markup = markup[:MAX_HTML_CHARS]
    lower = markup.lower() if markup.isascii() else markup.translate(_ASCII_LOWER)
    n = len(markup)
    most = element_cap(n)
    builder = _Builder(most)
    unescape = _Entities()
    i = 0
    for _ in range(most * TOKENS_PER_ELEMENT):
        found = _TOKEN_RE.search(markup, i) if i < n else None
        if found is None:
            if builder.in_head:
                builder.text(markup[i:])
            break
        if builder.in_head and found.start() > i:
            builder.text(markup[i : found.start()])
        if found.group("start"):
            if len(builder.elements) >= most:
                notes.append(f"only the first {most:,} elements checked")
                break
            name_end = _end(_NAME_RE, markup, found.start() + 1)
            name = lower[found.start() + 1 : name_end]
            attrs, i = _attributes(markup, name_end, unescape)
            index = builder.start(name, attrs, markup[i - 2 : i] == "/>")
            if name in RAW_TEXT and index is not None:
                close = lower.find("</" + name, i)
                close = n if close < 0 else close
                builder.elements[index].text = markup[i:close]
                i = close
        elif found.group("end"):
            name_end = _end(_NAME_RE, markup, found.start() + 2)
            rest = _TAG_REST_RE.match(markup, name_end)
            builder.end(lower[found.start() + 2 : name_end])
            i = rest.end() if rest else n
        else:  # a comment, doctype, CDATA, processing instruction or "</" + non-letter
            closer = "-->" if found.group("comment") else ">"
            after = found.end()
            if closer == "-->" and lower.startswith((">", "->"), after):  # "<!-->", "<!--->"
                i = lower.index(">", after) + 1
                continue
            close = markup.find(closer, after)
            i = n if close < 0 else close + len(closer)
    else:
        notes.append(f"only the first {most * TOKENS_PER_ELEMENT:,} tags and comments checked")
    if "depth" in builder.notes:
        notes.append(f"elements nested deeper than {MAX_DEPTH} were read as siblings")
    return Document(builder.elements, notes)
