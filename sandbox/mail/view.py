"""The structure of a stored message, worked out when someone looks at it.

Built on `sandbox.mimetree`, the same lenient reader ingest uses: no recursion, capped depth and
part count, every decode with a fallback. Looking at a message never fails; what could not be
taken apart is noted and stays readable in the raw source.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from mailyard.sandbox.errors import NotFoundError
from mailyard.sandbox.mail import mimetree
from mailyard.sandbox.mail.mimetree import Node
from mailyard.sandbox.mail.summary import bodies, decode_words


@dataclass(frozen=True)
class Part:
    """A leaf part that is an attachment or an inline resource."""

    part_id: str
    filename: str
    content_type: str
    content_id: str
    size: int
    md5: str
    sha1: str
    sha256: str


@dataclass
class MessageView:
    """What a reader sees: bodies, parts, headers, and anything that could not be parsed."""

    text: str = ""
    html: str = ""
    attachments: list[Part] = field(default_factory=list)
    inline: list[Part] = field(default_factory=list)
    headers: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _is_body(leaf: Node) -> bool:
    ctype = leaf.content_type
    plain = leaf.disposition != "attachment" and not leaf.filename
    return (plain and ctype in ("text/plain", "text/html")) or ctype.startswith("multipart/")


def view_message(raw: bytes) -> MessageView:
    """Bodies, attachments and headers of `raw`."""
    root, notes = mimetree.parse(raw)
    text, html, _ = bodies(root)
    result = MessageView(
        text=text,
        html=html,
        headers=[(name, decode_words(value)) for name, value in root.headers],
        notes=notes,
    )
    for leaf in root.leaves():
        if _is_body(leaf):
            continue
        described = _describe(leaf)
        inline = leaf.disposition == "inline" or (
            leaf.disposition != "attachment" and bool(described.content_id)
        )
        (result.inline if inline else result.attachments).append(described)
    return result


def _describe(leaf: Node) -> Part:
    data = leaf.content()
    return Part(
        part_id=leaf.part_id,
        filename=decode_words(leaf.filename),
        content_type=leaf.content_type,
        content_id=leaf.header("Content-ID").strip().strip("<>"),
        size=len(data),
        md5=hashlib.md5(data, usedforsecurity=False).hexdigest(),
        sha1=hashlib.sha1(data, usedforsecurity=False).hexdigest(),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def message_part(raw: bytes, part_id: str) -> tuple[Part, bytes]:
    """The decoded content of one leaf part."""
    root, _ = mimetree.parse(raw)
    for leaf in root.leaves():
        if leaf.part_id == part_id:
            return _describe(leaf), leaf.content()
    raise NotFoundError(f"part {part_id!r} not found")
