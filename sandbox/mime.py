"""The structure of a stored message, worked out when someone looks at it.

Uses the compat32 parser throughout: `policy.default`'s header parser is super-linear on big
address headers (20,000 addresses: 4 s) and re-serialises headers unsafely on this interpreter
(CVE-2024-6923). Walking is iterative and capped in depth, every decode has a fallback, and a
tree too deep to parse degrades to headers plus raw text: looking at a message never fails.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32

from .errors import NotFoundError
from .summary import decode_words, header_text

MAX_DEPTH = 50
MAX_PARTS = 1000


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


def _payload_bytes(part: Message) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    return raw.encode("utf-8", errors="surrogateescape") if isinstance(raw, str) else b""


def decode_text(part: Message) -> str:
    """A text part's content; unknown or wrong charsets give replacement characters."""
    data = _payload_bytes(part)
    charset = part.get_content_charset() or "utf-8"
    try:
        return data.decode(charset, errors="replace")
    except (LookupError, ValueError):
        return data.decode("utf-8", errors="replace")


def headers_of(msg: Message) -> list[tuple[str, str]]:
    return [(name, decode_words(header_text(value))) for name, value in msg.items()]


def _walk(msg: Message) -> tuple[list[tuple[str, Message]], list[str]]:
    """(part ID, leaf part) in document order, without recursion."""
    leaves: list[tuple[str, Message]] = []
    notes: list[str] = []
    stack: list[tuple[str, Message, int]] = [("", msg, 0)]
    count = 0
    while stack:
        pid, part, depth = stack.pop()
        count += 1
        if count > MAX_PARTS:
            notes.append(f"more than {MAX_PARTS} MIME parts; the rest are only in the source")
            break
        if part.is_multipart():
            children = part.get_payload()
            if depth >= MAX_DEPTH:
                notes.append(f"MIME nesting deeper than {MAX_DEPTH}; see the source")
                continue
            if isinstance(children, list):
                for i, child in reversed(list(enumerate(children, 1))):
                    stack.append((f"{pid}.{i}" if pid else str(i), child, depth + 1))
            continue
        leaves.append((pid or "1", part))
    return leaves, notes


def _parse(raw: bytes) -> tuple[Message, list[str]]:
    try:
        return message_from_bytes(raw, policy=compat32), []
    except RecursionError:
        msg = BytesHeaderParser(policy=compat32).parsebytes(raw)
        return msg, ["the MIME structure is too deeply nested to show; see the source"]


def view(raw: bytes) -> MessageView:
    """Bodies, attachments and headers of `raw`."""
    msg, notes = _parse(raw)
    result = MessageView(headers=headers_of(msg), notes=notes)
    if notes:  # could not parse the tree: the body is the raw text after the headers
        body = raw.split(b"\r\n\r\n", 1)[-1] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[-1]
        result.text = body.decode("utf-8", errors="replace")
        return result
    leaves, walk_notes = _walk(msg)
    result.notes.extend(walk_notes)
    texts, htmls = [], []
    for pid, part in leaves:
        ctype = part.get_content_type()
        disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
        filename = decode_words(part.get_filename() or "")
        if disposition != "attachment" and not filename and ctype == "text/plain":
            texts.append(decode_text(part))
        elif disposition != "attachment" and not filename and ctype == "text/html":
            htmls.append(decode_text(part))
        else:
            described = _describe(pid, part, filename)
            inline = disposition == "inline" or (
                disposition != "attachment" and described.content_id
            )
            (result.inline if inline else result.attachments).append(described)
    result.text = "\n".join(texts)
    result.html = "\n".join(htmls)
    return result


def _describe(pid: str, part: Message, filename: str) -> Part:
    data = _payload_bytes(part)
    return Part(
        part_id=pid,
        filename=filename,
        content_type=part.get_content_type(),
        content_id=(part.get("Content-ID") or "").strip().strip("<>"),
        size=len(data),
        md5=hashlib.md5(data, usedforsecurity=False).hexdigest(),
        sha1=hashlib.sha1(data, usedforsecurity=False).hexdigest(),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def part(raw: bytes, part_id: str) -> tuple[Part, bytes]:
    """The decoded content of one leaf part."""
    msg, notes = _parse(raw)
    if not notes:
        leaves, _ = _walk(msg)
        for pid, leaf in leaves:
            if pid == part_id:
                filename = decode_words(leaf.get_filename() or "")
                return _describe(pid, leaf, filename), _payload_bytes(leaf)
    raise NotFoundError(f"part {part_id!r} not found")
