"""A message's parts sorted as Mailpit sorts them (enmime v2, `envelope.go`), for the message
JSON's `Inline` and `Attachments` and for the summary's counts, so the two always agree.

An *attachment* is a part with `Content-Disposition: attachment` or of type
`application/octet-stream`; an *inline* part has `Content-Disposition: inline`; an *other* part
has no disposition and is neither text/plain nor text/html (a `cid:` image without a
disposition, typically); the body of a single-part message that is not text is an attachment
(inline if it says so). Each kind is listed breadth-first, as enmime's `BreadthMatchAll` finds
them. `Inline` is the inline parts then the other parts, and both lists keep only parts with a
file name or a Content-ID (Mailpit's filter).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from mailyard.sandbox.mail.part import Node

ATTACHMENT, INLINE, OTHER = "attachment", "inline", "other"
MAX_NAMES = 100  # attachment names kept for search: beyond that, a message is a zip bomb


def part_kinds(root: Node) -> dict[str, tuple[set[str], int]]:
    """PartID -> (its kinds, its breadth-first position) for every leaf of the message whose
    part tree is `root` (`mimetree.parse`)."""
    kinds: dict[str, tuple[set[str], int]] = {}
    queue = deque([root])
    position = 0
    while queue:
        node = queue.popleft()
        queue.extend(node.children)
        position += 1
        if node.children or node.content_type.startswith("multipart/"):
            continue
        disposition, ctype = node.disposition, node.content_type
        found: set[str] = set()
        if node is root:  # a single-part message: its body, unless text, is a file
            if ctype not in ("text/plain", "text/html"):
                found.add(INLINE if disposition == "inline" else ATTACHMENT)
        else:
            if disposition == "attachment" or ctype == "application/octet-stream":
                found.add(ATTACHMENT)
            if disposition == "inline":
                found.add(INLINE)
            if not disposition and ctype not in (
                "text/plain",
                "text/html",
                "application/octet-stream",
            ):
                found.add(OTHER)
        kinds[node.part_id] = (found, position)
    return kinds


@dataclass(frozen=True)
class PartCounts:
    """How many parts Mailpit lists as `Attachments` and as `Inline`, and the attachments'
    file names (as the headers give them, at most `MAX_NAMES`)."""

    attachments: int
    inlines: int
    attachment_names: tuple[str, ...]


def count_parts(root: Node) -> PartCounts:
    """The lengths of Mailpit's two lists for the message whose part tree is `root`."""
    by_id = {leaf.part_id: leaf for leaf in root.leaves()}
    attachments = inlines = 0
    names: list[str] = []
    for part_id, (kinds, _) in part_kinds(root).items():
        leaf = by_id.get(part_id)
        if leaf is None or not (leaf.filename or leaf.header("Content-ID").strip()):
            continue
        if ATTACHMENT in kinds:
            attachments += 1
            if leaf.filename and len(names) < MAX_NAMES:
                names.append(leaf.filename)
        if kinds & {INLINE, OTHER}:
            inlines += 1
    return PartCounts(attachments, inlines, tuple(names))
