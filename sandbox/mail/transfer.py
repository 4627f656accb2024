"""Undoing a part's Content-Transfer-Encoding (RFC 2045 §6), leniently, a slice at a time.

The body arrives as a `memoryview` into the stored message, so nothing is copied before
decoding. `binascii` decodes in C, but one call over a 36 MB attachment holds the GIL ~0.5 s,
so bodies are decoded `slices.SLICE` bytes at a time (`sandbox.mail.slices` says why), with
the same result as one call:

- base64: each slice keeps only the alphabet and `=` (junk between characters, line breaks);
  whole quanta are decoded, the rest carried into the next slice. A `=` that completes a
  quantum ends the content, as `binascii.a2b_base64` has it; any other `=` is ignored. A last
  quantum of 2 or 3 characters still gives its bytes (lost padding), 1 character is dropped.
- quoted-printable: slices end after a line break (or, in a line longer than a slice, where no
  `=` escape is cut), and `binascii.a2b_qp` reads lines independently.

The decoded slices go into a `BytesIO`, whose `getvalue` hands over its buffer: joining them
into `bytes` copied 36 MB in one call (~40 ms with the GIL held).
"""

from __future__ import annotations

import binascii
import io

from mailyard.sandbox.mail.slices import SLICE

_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_NOT_BASE64 = bytes(sorted(set(range(256)) - set(_ALPHABET) - {ord("=")}))
_PAD = b"="


def decode_transfer(body: memoryview, encoding: str) -> bytes:
    """The content of a part whose body is `body` and whose encoding header says `encoding`."""
    encoding = encoding.strip().lower()
    if encoding == "base64":
        return _base64(body)
    if encoding == "quoted-printable":
        return _quoted_printable(body)
    # 7bit, 8bit, binary, and names we do not know (x-uuencode, typos): the bytes as they are.
    return body.tobytes()


def _base64(body: memoryview) -> bytes:
    out = io.BytesIO()
    carry = b""  # fewer than 4 characters not yet decoded, maybe with one "=" after them
    for at in range(0, len(body), SLICE):
        data = carry + body[at : at + SLICE].tobytes().translate(None, _NOT_BASE64)
        carry = b""
        if _PAD not in data:
            whole = len(data) // 4 * 4
            out.write(binascii.a2b_base64(data[:whole]))
            carry = data[whole:]
            continue
        characters = len(data) - data.count(_PAD)
        try:
            decoded = binascii.a2b_base64(data)
        except binascii.Error:  # no "=" completed a quantum here: some characters are left
            decoded = None
        if decoded is not None:
            out.write(decoded)
            if characters % 4 or len(decoded) < characters // 4 * 3:
                return out.getvalue()  # an "=" completed a quantum: the content ends there
            continue
        letters = data.replace(_PAD, b"")
        whole = len(letters) // 4 * 4
        out.write(binascii.a2b_base64(letters[:whole]))
        carry = letters[whole:]
        if data.endswith(_PAD) and len(carry) == 2:
            carry += _PAD  # a second "=" at the start of the next slice completes the quantum
    if len(carry.rstrip(_PAD)) >= 2:  # 2 or 3 characters still carry 1 or 2 bytes
        letters = carry.rstrip(_PAD)
        out.write(binascii.a2b_base64(letters + _PAD * (4 - len(letters))))
    return out.getvalue()


def _quoted_printable(body: memoryview) -> bytes:
    out = io.BytesIO()
    at, end = 0, len(body)
    while at < end:
        chunk = body[at : at + SLICE].tobytes()
        if at + len(chunk) < end:
            line = chunk.rfind(b"\n")
            if line >= 0:
                chunk = chunk[: line + 1]
            else:  # one long line: do not cut "=XX" or "=\r\n" apart
                keep = len(chunk)
                while keep > 2 and _PAD in chunk[keep - 2 : keep]:
                    keep -= 1
                chunk = chunk[:keep]
        out.write(binascii.a2b_qp(chunk))
        at += len(chunk)
    return out.getvalue()
