"""The structure of a stored message, worked out when someone looks at it.

Built on `sandbox.mail.mimetree`, the same lenient reader ingest uses: one forward pass, no
copies of the raw bytes, capped depth and part count, every decode with a fallback. Looking at a
message never fails; what could not be taken apart is noted and stays readable in the source.

Memory: the raw message, plus one decoded attachment at a time (hashed, then dropped), plus the
bodies, each cut at `MAX_VIEW_BODY` decoded bytes. Whatever a part's headers say, its content
type is a clean `type/subtype` and its filename and Content-ID hold no control characters, so
either can go into an HTTP header.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from mailyard.sandbox.errors import NotFoundError
from mailyard.sandbox.mail import mimetree
from mailyard.sandbox.mail.bodies import Kind, kind_of, read_bodies
from mailyard.sandbox.mail.part import Node
from mailyard.sandbox.mail.partkinds import ATTACHMENT, part_kinds
from mailyard.sandbox.mail.words import decode_words

MAX_VIEW_BODY = 8 * 1024 * 1024
MAX_NAME = 255

_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


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


def view_message(raw: bytes, body_limit: int = MAX_VIEW_BODY) -> MessageView:
    """Bodies (each cut at `body_limit` decoded bytes, with a note), attachments and headers."""
    return view_tree(*mimetree.parse(raw), body_limit=body_limit)


def view_tree(root: Node, notes: list[str], body_limit: int = MAX_VIEW_BODY) -> MessageView:
    """`view_message` of a message already parsed (`mimetree.parse`), for a caller that also
    needs the part tree: the message is read once."""
    bodies = read_bodies(root, body_limit)
    result = MessageView(
        text=bodies.text,
        html=bodies.html,
        headers=[(name, decode_words(value)) for name, value in root.headers],
        notes=notes + list(bodies.notes),
    )
    kinds = part_kinds(root)
    for leaf in root.leaves():
        if kind_of(leaf) is not Kind.PART:
            continue
        described = _describe(leaf, leaf.content())
        # Mailpit's sorting; a part it lists in neither (no kind) is shown as an attachment.
        inline = (
            bool(kinds.get(leaf.part_id, (set(), 0))[0])
            and ATTACHMENT not in kinds[leaf.part_id][0]
        )
        (result.inline if inline else result.attachments).append(described)
    return result


def _clean(value: str, limit: int) -> str:
    """No control characters (CR, LF, NUL, ...): the value may end up in an HTTP header."""
    return _CONTROLS.sub(" ", value).strip()[:limit]


def _describe(leaf: Node, data: bytes) -> Part:
    return Part(
        part_id=leaf.part_id,
        filename=_clean(decode_words(leaf.filename), MAX_NAME),
        content_type=leaf.content_type,
        content_id=_clean(leaf.header("Content-ID"), 998).strip("<>"),
        size=len(data),
        md5=hashlib.md5(data, usedforsecurity=False).hexdigest(),
        sha1=hashlib.sha1(data, usedforsecurity=False).hexdigest(),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def message_part(raw: bytes, part_id: str) -> tuple[Part, bytes]:
    """The decoded content of one leaf part (decoded once)."""
    root, _ = mimetree.parse(raw)
    for leaf in root.leaves():
        if leaf.part_id == part_id:
            data = leaf.content()
            return _describe(leaf, data), data
    raise NotFoundError(f"part {part_id!r} not found")
