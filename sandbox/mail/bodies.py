"""The text and HTML bodies of a part tree, each decoded up to a limit (the other parts are
sorted by `partkinds`, as Mailpit sorts them).

Ingest needs only the start of the bodies (a snippet, the search text); a reader needs them
whole, but a 40 MB HTML body with one emoji is 160 MB as a Python string (4 bytes a character),
so the view stops at a limit too and says so. Only a prefix of a longer part is decoded.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from mailyard.sandbox.mail import charsets
from mailyard.sandbox.mail.part import Node


@dataclass(frozen=True)
class Bodies:
    """Plain text and HTML (parts joined by newlines), and what was cut."""

    text: str
    html: str
    notes: tuple[str, ...] = ()


class Kind(Enum):
    """What a leaf is to a reader."""

    TEXT = "text"  # a plain-text body
    HTML = "html"  # an HTML body
    UNSPLIT = "unsplit"  # a multipart the reader did not split (too deep, too many parts)
    PART = "part"  # anything else: an attachment or an inline part (see `partkinds`)


def kind_of(leaf: Node) -> Kind:
    """A text or HTML part that is neither declared an attachment nor named is a body."""
    ctype = leaf.content_type
    if ctype.startswith("multipart/"):
        return Kind.UNSPLIT
    if leaf.disposition != "attachment" and not leaf.filename:
        if ctype == "text/plain":
            return Kind.TEXT
        if ctype == "text/html":
            return Kind.HTML
    return Kind.PART


class _Budget:
    """Decoded bytes still allowed for one kind of body."""

    def __init__(self, limit: int) -> None:
        self.left = limit
        self.cut = False

    def take(self, leaf: Node, raw: bool = False) -> str:
        if self.left <= 0:
            self.cut = True
            return ""
        # A multipart the reader did not split (too deep, too many parts) shows its source.
        data = leaf.raw_body(self.left + 1).tobytes() if raw else leaf.content(self.left + 1)
        if len(data) > self.left:
            data, self.cut = data[: self.left], True
        self.left -= len(data)
        if raw:
            return data.decode("utf-8", errors="replace")
        return charsets.decode(data, leaf.param("Content-Type", "charset"))


def read_bodies(root: Node, limit: int) -> Bodies:
    """The bodies of `root`'s leaves, at most `limit` decoded bytes each of text and HTML.

    A multipart cut off by the depth or part cap shows its raw body as text, so what it holds
    is still readable and searchable.
    """
    texts: list[str] = []
    htmls: list[str] = []
    text_budget, html_budget = _Budget(limit), _Budget(limit)
    for leaf in root.leaves():
        kind = kind_of(leaf)
        if kind is Kind.TEXT:
            texts.append(text_budget.take(leaf))
        elif kind is Kind.HTML:
            htmls.append(html_budget.take(leaf))
        elif kind is Kind.UNSPLIT:
            texts.append(text_budget.take(leaf, raw=True))
    notes = []
    megabytes = f"{limit / (1024 * 1024):g} MB"
    if text_budget.cut:
        notes.append(f"the text body is longer than {megabytes}; the rest is only in the source")
    if html_budget.cut:
        notes.append(f"the HTML body is longer than {megabytes}; the rest is only in the source")
    return Bodies("\n".join(texts), "\n".join(htmls), tuple(notes))
