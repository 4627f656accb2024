"""One part of a message's MIME tree, as offsets into the message's bytes.

A `Node` holds the one `bytes` object the message was parsed from and its body's (start, end):
nothing is copied to build a tree, however deep it nests. Content is decoded only when asked,
straight from a `memoryview` of the source, and `content(limit)` decodes only a prefix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mailyard.sandbox.mail import charsets
from mailyard.sandbox.mail.headers import Headers
from mailyard.sandbox.mail.params import parse_params
from mailyard.sandbox.mail.transfer import decode_transfer

# RFC 2045 §5.1: type "/" subtype, each a token. Anything after the subtype that is not a
# parameter (a stray CR, a second header glued on) is ignored, so it never reaches an HTTP
# Content-Type header.
_NAME = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_MEDIA_TYPE = re.compile(rf"({_NAME})[ \t]*/[ \t]*({_NAME})")


@dataclass(eq=False, slots=True)
class Node:
    """One MIME part: its headers, where its body lies in `source`, its children if multipart.

    The headers a reader always needs (type, disposition) are parsed once, when the node is
    made: a message may have a thousand parts, and a lazy property costs more than the parse.
    """

    part_id: str
    headers: Headers
    source: bytes = field(repr=False)
    start: int
    end: int
    children: list[Node] = field(default_factory=list)
    content_type: str = field(init=False)
    """`type/subtype`, lower case; text/plain when absent or malformed (RFC 2045 §5.2)."""
    _by_name: dict[str, str] = field(init=False, repr=False)
    _content_type: dict[str, str] = field(init=False, repr=False)
    _disposition: tuple[str, dict[str, str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        first: dict[str, str] = {}
        for name, value in self.headers:
            first.setdefault(name.lower(), value)
        self._by_name = first
        main, self._content_type = parse_params(first.get("content-type", ""))
        match = _MEDIA_TYPE.match(main)
        self.content_type = f"{match.group(1)}/{match.group(2)}" if match else "text/plain"
        self._disposition = parse_params(first.get("content-disposition", ""))

    def header(self, name: str) -> str:
        """The first header of that name, "" when absent."""
        return self._by_name.get(name.lower(), "")

    def param(self, header: str, name: str) -> str:
        """A parameter of Content-Type or Content-Disposition, "" when absent."""
        disposition = header.lower() == "content-disposition"
        return (self._disposition[1] if disposition else self._content_type).get(name, "")

    @property
    def disposition(self) -> str:
        """`attachment`, `inline`, or whatever the part says (lower case); "" when absent."""
        return self._disposition[0]

    @property
    def filename(self) -> str:
        """The file name as the headers give it (RFC 2231 decoded; RFC 2047 words not yet)."""
        return self.param("Content-Disposition", "filename") or self.param("Content-Type", "name")

    @property
    def size(self) -> int:
        """The length of the body as it is in the message (still transfer-encoded)."""
        return self.end - self.start

    @property
    def body(self) -> bytes:
        """A copy of the raw body (still transfer-encoded)."""
        return self.source[self.start : self.end]

    def raw_body(self, limit: int | None = None) -> memoryview:
        """The raw body, or its first `limit` bytes, without copying."""
        end = self.end if limit is None else min(self.end, self.start + limit)
        return memoryview(self.source)[self.start : end]

    def content(self, limit: int | None = None) -> bytes:
        """The body with its Content-Transfer-Encoding undone; at most `limit` bytes of it.

        With a limit only a prefix of the body is decoded (a summary needs no more).
        """
        encoding = self.header("Content-Transfer-Encoding")
        if limit is None:
            return decode_transfer(self.raw_body(), encoding)
        # Base64 grows 3 bytes to 4 plus line breaks; quoted-printable at most 1 byte to 3.
        encoded = encoding.strip().lower() in ("base64", "quoted-printable")
        data = decode_transfer(self.raw_body(limit * 3 + 4 if encoded else limit), encoding)
        return data[:limit]

    def text(self, limit: int | None = None) -> str:
        """A text part's content; unknown or wrong charsets give replacement characters."""
        return charsets.decode(self.content(limit), self.param("Content-Type", "charset"))

    def leaves(self) -> list[Node]:
        """Leaf parts in document order."""
        out, stack = [], [self]
        while stack:
            node = stack.pop()
            if node.children:
                stack.extend(reversed(node.children))
            else:
                out.append(node)
        return out
