"""The text and HTML bodies of a part tree, each decoded up to a limit, and the attachment count.

Ingest needs only the start of the bodies (a snippet, the search text); a reader needs them
whole, but a 40 MB HTML body with one emoji is 160 MB as a Python string (4 bytes a character),
so the view stops at a limit too and says so. Only a prefix of a longer part is decoded.
"""

from __future__ import annotations

from dataclasses import dataclass

from mailyard.sandbox.mail import charsets
from mailyard.sandbox.mail.part import Node


@dataclass(frozen=True)
class Bodies:
    """Plain text and HTML (parts joined by newlines), attachments counted, what was cut."""

    text: str
    html: str
    attachments: int
    notes: tuple[str, ...] = ()


def is_attachment(leaf: Node) -> bool:
    """A leaf counted as an attachment: declared so, or a named part that is not text."""
    return leaf.disposition == "attachment" or (
        bool(leaf.filename) and not leaf.content_type.startswith("text/")
    )


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
    attachments = 0
    for leaf in root.leaves():
        ctype = leaf.content_type
        if is_attachment(leaf):
            attachments += 1
        elif ctype == "text/plain":
            texts.append(text_budget.take(leaf))
        elif ctype == "text/html":
            htmls.append(html_budget.take(leaf))
        elif ctype.startswith("multipart/"):
            texts.append(text_budget.take(leaf, raw=True))
    notes = []
    megabytes = f"{limit / (1024 * 1024):g} MB"
    if text_budget.cut:
        notes.append(f"the text body is longer than {megabytes}; the rest is only in the source")
    if html_budget.cut:
        notes.append(f"the HTML body is longer than {megabytes}; the rest is only in the source")
    return Bodies("\n".join(texts), "\n".join(htmls), attachments, tuple(notes))
