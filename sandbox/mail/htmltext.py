"""The visible text of an HTML body, good enough for a snippet and for search; linear time.

The old regexes were quadratic on unclosed constructs: `<style ` x 8,000 took 3.9 s (each
`<style` searched to the end for its `</style>`), `<` x 20,000 took 0.4 s (each `<` searched to
the end for a `>`). Here a failed search is never repeated: an unclosed `<script>` or `<style>`
hides the rest of the document (as a browser reads it: raw text to the end), an unclosed
`<head>` hides nothing, and tags are only looked for up to the last `>`. Numeric character
references too long to be a character (`&#` + 5,000 digits made `html.unescape` raise) become
U+FFFD first (`unescape`). Searches and substitutions go a slice at a time
(`sandbox.mail.slices`): one over a whole 1 MB body held the GIL ~80 ms.
"""

from __future__ import annotations

import html
import re

from mailyard.sandbox.mail import slices

_HIDDEN = re.compile(r"<(script|style|head)\b", re.IGNORECASE)
# Where a closing tag may start (bounded, so it can be searched a slice at a time), and the
# whole closing tag, matched there.
_CLOSE_START = {
    "script": re.compile(r"</script", re.IGNORECASE),
    "style": re.compile(r"</style", re.IGNORECASE),
    "head": re.compile(r"</head|<body\b", re.IGNORECASE),
}
_CLOSE = {
    "script": re.compile(r"</script\s*>", re.IGNORECASE),
    "style": re.compile(r"</style\s*>", re.IGNORECASE),
    # A missing </head> is closed by <body> (HTML's parser does the same).
    "head": re.compile(r"</head\s*>|<body\b", re.IGNORECASE),
}
_TAG = re.compile(r"<[^>]*>")
_HUGE_REFERENCE = re.compile(r"&#(?:[xX][0-9a-fA-F]{16,}|[0-9]{16,});?")


def unescape(text: str) -> str:
    """`html.unescape`, with references too long to be a character made U+FFFD: it raises
    ValueError on `&#` + 5,000 digits (Python's limit on converting digits to an int)."""
    if "&" not in text:
        return text
    return html.unescape(_HUGE_REFERENCE.sub("\ufffd", text))


def _closing(markup: str, name: str, at: int) -> re.Match[str] | None:
    """The first closing tag of `name` from `at`."""
    while (start := slices.search(_CLOSE_START[name], markup, at)) is not None:
        closing = _CLOSE[name].match(markup, start.start())
        if closing is not None:
            return closing
        at = start.start() + 1
    return None


def _visible(markup: str) -> list[str]:
    """`markup` cut into the pieces outside script, style and head elements."""
    pieces = []
    at = 0
    head_unclosed = False
    while True:
        opening = slices.search(_HIDDEN, markup, at)
        if opening is None:
            break
        name = opening.group(1).lower()
        if name == "head" and head_unclosed:
            pieces.append(markup[at : opening.end()])
            at = opening.end()
            continue
        pieces.append(markup[at : opening.start()])
        closing = _closing(markup, name, opening.end())
        if closing is None:
            if name != "head":
                return pieces  # raw text to the end of the document
            head_unclosed = True  # and no later <head> will find one either
            at = opening.start() + 1
            pieces.append("<")
            continue
        pieces.append(" ")
        at = closing.start() if closing.group().lower().startswith("<body") else closing.end()
    pieces.append(markup[at:])
    return pieces


def html_to_text(markup: str) -> str:
    """Visible text of an HTML body: tags become spaces, entities are decoded."""
    text = "".join(_visible(markup))
    last = text.rfind(">") + 1
    # Past the last ">" no tag can close: that tail stays text. A tag holds no ">" but its
    # last character, so a cut right after a ">" never splits one.
    pieces, at = [], 0
    for cut in slices.cuts(text, ">", 0, last):
        pieces.append(_TAG.sub(" ", text[at:cut]))
        at = cut
    pieces.append(text[last:])
    return unescape("".join(pieces))
