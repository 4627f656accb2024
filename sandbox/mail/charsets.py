"""Decoding bytes in the charset a message names, whatever it names, in bounded time.

A message names its charsets itself (`charset=` parameters, RFC 2047 words, RFC 2231 values),
so the name is hostile input too:

- An unknown name costs `codecs.lookup` an import attempt (~200 us; 1,000 parts with 1,000
  made-up charsets: 0.2 s), so a name is looked up only when Python ships a codec of that name.
- `punycode` and `idna` are text codecs written in Python; punycode's decoder is quadratic
  (22 KB: 38 ms, 1 MB: over a minute). They are not mail charsets: refused.
- Anything refused or failing decodes as UTF-8 with replacement characters. Never raises.
- More than `slices.SLICE` bytes are decoded a slice at a time by the codec's incremental
  decoder (one call over 8 MB held the GIL ~60 ms): the same text, the event loop not held.
"""

from __future__ import annotations

import codecs
import encodings
import pkgutil
from encodings.aliases import aliases

from mailyard.sandbox.mail.slices import SLICE

MAX_NAME = 40
_REFUSED = frozenset({"punycode", "idna"})
_MODULES = frozenset(m.name for m in pkgutil.iter_modules(encodings.__path__))
_KNOWN = frozenset(aliases) | frozenset(aliases.values()) | _MODULES


def codec_name(charset: str) -> str | None:
    """Python's name for the codec of `charset`, or None when there is none we will use."""
    name = charset.strip().strip('"').lower()
    if not name or len(name) > MAX_NAME or not (name.isascii() and name.isprintable()):
        return None  # `codecs.lookup` raises ValueError on a NUL (found by fuzzing)
    key = encodings.normalize_encoding(name)
    if key not in _KNOWN and key.replace(".", "_") not in _KNOWN:
        return None
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    # Codecs such as base64 or zlib are byte transforms, which bytes.decode refuses anyway.
    if info.name in _REFUSED or not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def decode(data: bytes | memoryview, charset: str, default: str = "utf-8") -> str:
    """`data` as text in `charset`; unknown or refused charsets fall back to `default`."""
    name = codec_name(charset) if charset else None
    try:
        return _decode(data, name or default)
    except (LookupError, ValueError, TypeError):  # e.g. the 'undefined' codec always fails
        return _decode(data, "utf-8")


def _decode(data: bytes | memoryview, name: str) -> str:
    if len(data) <= SLICE:
        return codecs.decode(data, name, errors="replace")
    decoder = codecs.getincrementaldecoder(name)(errors="replace")
    view = memoryview(data)
    try:
        pieces = [decoder.decode(view[at : at + SLICE]) for at in range(0, len(view), SLICE)]
        pieces.append(decoder.decode(b"", final=True))
    except UnicodeError:  # UTF-16/32 in slices insist on a BOM; in one call they do not
        return codecs.decode(data, name, errors="replace")
    return "".join(pieces)
