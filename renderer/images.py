"""Logos that ship with mailyard, and how an email carries one.

A theme names a shipped logo as `logoUrl: "mailyard:logo/<name>.png"` (the sample themes do), so
it shows offline and in every client without anything fetched. `render()` puts it into the HTML
as a `data:` URI: a preview or a saved .html file is complete on its own. `build_message()` moves
it into a `multipart/related` part and points at it with `cid:`, because Gmail and Outlook for
Windows show no `data:` images in received mail (caniemail: image-base64). A theme's remote
`https://` logoUrl is left exactly as it is.

The shipped logos are square marks, drawn at 3x in PNG (SVG shows in neither Gmail nor Outlook
for Windows). The email sets the tenant's name as text beside the mark, so the name follows the
dark-mode colours and still reads when images are blocked. Sources: `renderer/logos/*.svg`.
"""

from __future__ import annotations

import base64
import re
import struct
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

SCHEME = "mailyard:logo/"
LOGO_HEIGHT = 40  # CSS pixels; the PNGs are 120 px high, sharp on 3x phone screens
MAX_BYTES = 64 * 1024  # a shipped logo is a few KB; an email must stay far below Gmail's clip
_NAME = re.compile(r"^[a-z0-9-]{1,40}\.png$")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class InlineImage:
    """An image an email carries itself: shown as a `data:` URI, or sent as a `cid:` part."""

    filename: str
    content_type: str
    width: int  # CSS pixels, as the <img> shows it
    height: int
    data: bytes = field(repr=False)

    @property
    def data_uri(self) -> str:
        return f"data:{self.content_type};base64,{base64.b64encode(self.data).decode('ascii')}"


def is_shipped(url: str) -> bool:
    """Whether `url` names a shipped logo rather than a remote one."""
    return url.startswith(SCHEME)


@cache
def shipped_logo_names() -> tuple[str, ...]:
    """The logos a theme may name, e.g. `acme.png`."""
    folder = resources.files("mailyard.renderer") / "logos"
    if not folder.is_dir():  # a build without its package data; tests/renderer catch that
        return ()
    return tuple(sorted(p.name for p in folder.iterdir() if _NAME.match(p.name)))


def shipped_logo(url: str) -> InlineImage:
    """The shipped logo `mailyard:logo/<name>.png` names; LookupError naming the known ones."""
    name = url.removeprefix(SCHEME) if is_shipped(url) else ""
    if name not in shipped_logo_names():
        known = ", ".join(SCHEME + n for n in shipped_logo_names())
        raise LookupError(f"no shipped logo {url[:80]!r} (shipped: {known})")
    return _load(name)


@cache
def _load(name: str) -> InlineImage:
    data = (resources.files("mailyard.renderer") / "logos" / name).read_bytes()
    if len(data) > MAX_BYTES or len(data) < 24 or not data.startswith(_PNG_SIGNATURE):
        raise LookupError(f"logo {name} is not a PNG of at most {MAX_BYTES} bytes")
    # The IHDR chunk comes first: width and height, 4 bytes each, after length and type.
    width, height = struct.unpack(">II", data[16:24])
    if not width or not height:
        raise LookupError(f"logo {name} has no size")
    return InlineImage(
        filename=name,
        content_type="image/png",
        width=round(LOGO_HEIGHT * width / height),
        height=LOGO_HEIGHT,
        data=data,
    )
