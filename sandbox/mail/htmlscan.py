"""A linear-time reader of the few things mailyard takes from an email's HTML.

Links, codes and the link check need anchors with their visible text, image and stylesheet
addresses, and the visible text itself. `html.parser.HTMLParser` would do, but it is quadratic
on hostile input (`"<a href=" * 50000` ran for minutes, measured), so this scanner reads the
markup once and never backtracks:

- Python looks only at the tags it needs (`a`, `img`, `link`), comments, declarations and the
  raw-text elements (`script`, `style`, `title`, `textarea`, `xmp`, skipped to their closing
  tag). Everything between two such tokens is turned into text by two C-level substitutions.
  A page of 30,000 `<p>` costs no Python loop iterations.
- Every regex is a plain character class, possessive, or applied where it cannot fail: a tag
  pattern `<x[^>]*+>` only ever runs on text that has a `>` after it, so no start position is
  scanned twice.
- An attribute value with an unclosed quote swallows the rest of the document, as in a browser.
- Only the first `MAX_HTML_CHARS` characters are read, the attributes of only the first
  `MAX_ELEMENTS` `a`/`img`/`link` tags (later ones count as text), and nothing after the
  `MAX_TOKENS`th token: hostile markup made of nothing but `<a>` or `<!x>` costs a bounded
  number of Python steps (measured on a busy 2-core machine: 0.1 to 35 ms per 100 KB for every
  shape in tests/sandbox/mail/test_extract_bounds.py; 2 MB of `<a>` takes ~0.65 s).

Block-level tags end a line of the visible text, so a code set in separate `<td>`s reads as
separate short lines; inline tags join their text, as a browser renders
`<span>4</span><span>8</span>` as "48". Entities are decoded with `html.unescape`, which
calls back into Python for each one, so only the first `MAX_ENTITIES` `&` of a document are
decoded (templates padded with `&nbsp;&zwnj;` use a few hundred); past that, text and
attribute values are left as written. A numeric reference too long to be a character
(`&#` + 5,000 digits, which made `html.unescape` raise) reads as U+FFFD (`htmltext.unescape`).

Searches and substitutions over long stretches go a slice at a time (`sandbox.mail.slices`):
over 2M characters a single call held the GIL 0.2-0.5 s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mailyard.sandbox.mail import slices
from mailyard.sandbox.mail.htmltext import unescape

MAX_HTML_CHARS = 2 * 1024 * 1024
MAX_ELEMENTS = 2000  # a/img/link tags (start or end) whose attributes are read
MAX_TOKENS = 10_000  # tags, comments and declarations Python handles; the rest is not read
MAX_ANCHOR_TEXT = 300
MAX_ENTITIES = 20_000
MAX_ATTRIBUTES = 64

_BLOCK_NAMES = (
    "address|article|aside|blockquote|br|center|dd|div|dl|dt|fieldset|figcaption|figure|footer|"
    "form|h[1-6]|header|hr|li|main|nav|ol|p|pre|section|table|tbody|td|tfoot|th|thead|tr|ul"
)
# The tokens Python handles; the first alternative is dropped once MAX_ELEMENTS are read.
_ELEMENT = r"(?P<end>/)?(?P<name>a|img|link)(?=[\s/>])|"
_RAW = r"(?P<raw>script|style|title|textarea|xmp)(?=[\s/>])|(?P<comment>!--)|[!?]"
# "(?=...)": a "<" that starts nothing is rejected at once, not tried against every name.
_TOKEN_RE = re.compile("<(?=[a-zA-Z/!?])(?:" + _ELEMENT + _RAW + ")", re.IGNORECASE)
_RAW_TOKEN_RE = re.compile("<(?=[a-zA-Z!?])(?:" + _RAW + ")", re.IGNORECASE)
# Used only on text that has a ">" after every position (see `_visible`).
_BLOCK_TAG_RE = re.compile(r"</?(?:" + _BLOCK_NAMES + r")(?=[\s/>])[^>]*+>", re.IGNORECASE)
_OTHER_TAG_RE = re.compile(r"<[a-zA-Z/][^>]*+>")

_GAP_RE = re.compile(r"[ \t\n\r\f/]*+")
_ATTR_NAME_RE = re.compile(r"[^ \t\n\r\f=>/]*+")
_SPACES_RE = re.compile(r"[ \t\n\r\f]*+")
_UNQUOTED_RE = re.compile(r"[^ \t\n\r\f>]*+")
_TAG_REST_RE = re.compile(r"""(?:[^>"']++|"[^"]*+"|'[^']*+')*+>""")


@dataclass(frozen=True)
class Anchor:
    """An `<a href>`: its address as written (entities decoded) and its visible text."""

    href: str
    text: str
    image_only: bool  # the text came only from `<img alt>`: a logo or a banner
    # Where its start tag is in the markup, `<a` to `>` (what the inbox rewrites to count clicks).
    tag: tuple[int, int] = field(default=(0, 0), compare=False)


@dataclass
class Scan:
    """What `scan` found, in document order."""

    anchors: list[Anchor] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    stylesheets: list[str] = field(default_factory=list)
    text: str = ""


def _end(pattern: re.Pattern[str], markup: str, i: int) -> int:
    """Where a run of `pattern` (which may be empty) starting at `i` ends."""
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
        return unescape(value)


def _attributes(markup: str, i: int, unescape: _Entities) -> tuple[dict[str, str], int]:
    """Attributes of a tag from `i`, and the index after its `>` (or the end of `markup`)."""
    n = len(markup)
    attrs: dict[str, str] = {}
    for _ in range(MAX_ATTRIBUTES):
        i = _end(_GAP_RE, markup, i)
        if i >= n:
            return attrs, n
        if markup[i] == ">":
            return attrs, i + 1
        name_end = _end(_ATTR_NAME_RE, markup, i)
        if name_end == i:  # a stray "=": skip it
            i += 1
            continue
        name = markup[i:name_end].lower()
        i = _end(_SPACES_RE, markup, name_end)
        value = ""
        if i < n and markup[i] == "=":
            i = _end(_SPACES_RE, markup, i + 1)
            if i < n and markup[i] in "\"'":
                close = markup.find(markup[i], i + 1)
                if close < 0:  # unclosed quote: the rest of the document is this value
                    return attrs, n
                value, i = markup[i + 1 : close], close + 1
            else:
                value_end = _end(_UNQUOTED_RE, markup, i)
                value, i = markup[i:value_end], value_end
        if name not in attrs:
            attrs[name] = unescape(value)
    rest = _TAG_REST_RE.match(markup, i)
    return attrs, rest.end() if rest else n


def _visible(chunk: str, unescape: _Entities) -> str:
    """The text of markup holding no comment and no element `scan` reads itself."""
    if "<" in chunk:
        # Past the last ">" no tag can close, so the tag patterns run only where they succeed.
        # A tag holds no ">" but its last character: a cut right after a ">" never splits one.
        last = chunk.rfind(">") + 1
        pieces, at = [], 0
        for cut in slices.cuts(chunk, ">", 0, last):
            pieces.append(_OTHER_TAG_RE.sub("", _BLOCK_TAG_RE.sub("\n", chunk[at:cut])))
            at = cut
        pieces.append(chunk[last:])
        chunk = "".join(pieces)
    return unescape(chunk)


class _Reader:
    """Collects findings; the anchor being read stays open until `</a>` or the next `<a>`."""

    def __init__(self) -> None:
        self.result = Scan()
        self.unescape = _Entities()
        self.text: list[str] = []
        self.href: str | None = None
        self.tag = (0, 0)
        self.anchor_text: list[str] = []
        self.anchor_alt: list[str] = []

    def data(self, chunk: str) -> None:
        if chunk:
            visible = _visible(chunk, self.unescape)
            self.text.append(visible)
            if self.href is not None and sum(map(len, self.anchor_text)) < MAX_ANCHOR_TEXT:
                self.anchor_text.append(visible[:MAX_ANCHOR_TEXT])

    def element(self, name: str, attrs: dict[str, str], tag: tuple[int, int]) -> None:
        if name == "a":
            self.close_anchor()
            self.href = attrs.get("href")
            self.tag = tag
        elif name == "img":
            if "src" in attrs:
                self.result.images.append(attrs["src"])
            if self.href is not None and attrs.get("alt"):
                self.anchor_alt.append(attrs["alt"][:MAX_ANCHOR_TEXT])
        elif "href" in attrs and "stylesheet" in attrs.get("rel", "").lower().split():
            self.result.stylesheets.append(attrs["href"])

    def close_anchor(self) -> None:
        if self.href is not None:
            words = " ".join("".join(self.anchor_text).split())[:MAX_ANCHOR_TEXT]
            alt = " ".join(" ".join(self.anchor_alt).split())[:MAX_ANCHOR_TEXT]
            anchor = Anchor(self.href, words or alt, image_only=not words, tag=self.tag)
            self.result.anchors.append(anchor)
        self.href = None
        self.anchor_text = []
        self.anchor_alt = []


# The end of a raw-text element: `</script` in ASCII case (re.ASCII: long s, U+017F, is no "s").
_RAW_END = {
    name: re.compile("</" + name, re.IGNORECASE | re.ASCII)
    for name in ("script", "style", "title", "textarea", "xmp")
}


def _raw_end(name: str) -> re.Pattern[str]:
    """What ends the raw-text element `name` (as spelt: `<` + long s (U+017F) + `cript` is one too,
    for the token regex's Unicode case folding, and only its own spelling ends it)."""
    found = _RAW_END.get(name.lower())
    return found or re.compile(re.escape("</" + name.lower()), re.IGNORECASE | re.ASCII)


def scan(markup: str) -> Scan:
    """Anchors, images, stylesheets and visible text of `markup`, in one linear pass."""
    markup = markup[:MAX_HTML_CHARS]
    reader = _Reader()
    token_re, elements = _TOKEN_RE, 0
    n = len(markup)
    i = 0
    for _ in range(MAX_TOKENS):
        found = slices.search(token_re, markup, i) if i < n else None
        if found is None:
            reader.data(markup[i:])
            break
        reader.data(markup[i : found.start()])
        name = found.group("name") if token_re is _TOKEN_RE else None
        raw = found.group("raw")
        if name is not None:
            elements += 1  # end tags count too: "</a>" * 10**5 is as many Python steps
            if elements == MAX_ELEMENTS:
                token_re = _RAW_TOKEN_RE
            if found.group("end"):
                close = markup.find(">", found.end())
                i = n if close < 0 else close + 1
                if name.lower() == "a":
                    reader.close_anchor()
                continue
            attrs, i = _attributes(markup, found.end(), reader.unescape)
            reader.element(name.lower(), attrs, (found.start(), i))
        elif raw is not None:
            rest = _TAG_REST_RE.match(markup, found.end())
            ends = slices.search(_raw_end(raw), markup, rest.end()) if rest else None
            i = n if ends is None else ends.start()
        else:  # a comment, a declaration or a processing instruction
            closer = "-->" if found.group("comment") else ">"
            close = markup.find(closer, found.end())
            i = n if close < 0 else close + len(closer)
    reader.close_anchor()
    reader.result.text = "".join(reader.text)
    return reader.result
