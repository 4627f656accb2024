"""Undoing a part's Content-Transfer-Encoding (RFC 2045 §6), leniently and in one decoded copy.

The body arrives as a `memoryview` into the stored message, so nothing is copied before
decoding; `binascii` decodes in C straight into the result. Well-formed base64 and any
quoted-printable take that path. Base64 that `binascii` refuses (a lost padding character, a
stray `=` mid-stream) is decoded chunk by chunk with everything outside the alphabet dropped:
linear, at most one chunk copied at a time, whatever junk sits between the characters.
"""

from __future__ import annotations

import binascii

_CHUNK = 1024 * 1024  # a multiple of 4, so chunk edges never split a quantum by themselves
_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_NOT_BASE64 = bytes(sorted(set(range(256)) - set(_ALPHABET)))


def decode_transfer(body: memoryview, encoding: str) -> bytes:
    """The content of a part whose body is `body` and whose encoding header says `encoding`."""
    encoding = encoding.strip().lower()
    if encoding == "base64":
        try:
            return binascii.a2b_base64(body)
        except (binascii.Error, ValueError):
            return _lenient_base64(body)
    if encoding == "quoted-printable":
        return binascii.a2b_qp(body)
    # 7bit, 8bit, binary, and names we do not know (x-uuencode, typos): the bytes as they are.
    return body.tobytes()


def _lenient_base64(body: memoryview) -> bytes:
    out: list[bytes] = []
    carry = b""
    for at in range(0, len(body), _CHUNK):
        chunk = carry + body[at : at + _CHUNK].tobytes().translate(None, _NOT_BASE64)
        whole = len(chunk) // 4 * 4
        out.append(binascii.a2b_base64(chunk[:whole]))
        carry = chunk[whole:]
    if len(carry) >= 2:  # 2 or 3 characters still carry 1 or 2 bytes
        out.append(binascii.a2b_base64(carry + b"=" * (4 - len(carry))))
    return b"".join(out)
