"""Transfer encodings decoded a slice at a time give what one call over the whole body gives."""

from __future__ import annotations

import binascii
import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailyard.sandbox.mail.slices import SLICE
from mailyard.sandbox.mail.transfer import decode_transfer

_VALUES = {
    c: i for i, c in enumerate(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
}


def _base64_reference(data: bytes) -> bytes:
    """`binascii.a2b_base64` (not strict) byte by byte, without its final complaint: junk is
    skipped, an `=` that completes a quantum ends the content, any other `=` is ignored, and a
    last quantum of 2 or 3 characters keeps the bytes it already gave."""
    out = bytearray()
    bits = held = position = pads = 0
    for byte in data:
        if byte == ord("="):
            if position >= 2:
                pads += 1
                if position + pads >= 4:
                    break
            continue
        if byte not in _VALUES:
            continue
        pads = 0
        bits, held, position = (bits << 6) | _VALUES[byte], held + 6, (position + 1) % 4
        if held >= 8:
            held -= 8
            out.append(bits >> held & 0xFF)
            bits &= (1 << held) - 1
    return bytes(out)


# Pieces that matter at a slice edge: padding, junk, line breaks, quanta cut short.
_B64_PIECES = st.lists(
    st.sampled_from([b"QUJD", b"QQ", b"QUI", b"=", b"==", b"\r\n", b"!", b" ", b"Zm9v", b"Y"]),
    max_size=12,
).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(head=_B64_PIECES, tail=_B64_PIECES, shift=st.integers(0, 8))
def test_base64_across_a_slice_edge_reads_as_in_one_call(
    head: bytes, tail: bytes, shift: int
) -> None:
    filler = b"QUJD" * ((SLICE - 8) // 4) + b"Q" * (shift % 4) + b"\n" * (shift // 4)
    data = filler + head + tail
    expected = _base64_reference(data)
    # The reference is binascii's reading; where a lost padding character makes binascii
    # refuse, the lenient reading keeps the bytes read so far.
    with contextlib.suppress(binascii.Error):
        assert binascii.a2b_base64(data) == expected
    assert decode_transfer(memoryview(data), "base64") == expected


@pytest.mark.parametrize("slices", [1, 3])
def test_well_formed_base64_of_several_slices(slices: int) -> None:
    content = bytes(range(256)) * (slices * SLICE // 256)
    encoded = binascii.b2a_base64(content + b"end")
    wrapped = b"\r\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))
    assert decode_transfer(memoryview(wrapped), "Base64 ") == content + b"end"


_QP_PIECES = st.lists(
    st.sampled_from([b"=3D", b"=", b"=\r\n", b"=\n", b"\r\n", b"\n", b"a", b"=4", b"=C3=A9", b" "]),
    max_size=12,
).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(head=_QP_PIECES, tail=_QP_PIECES, shift=st.integers(0, 5), lines=st.booleans())
def test_quoted_printable_across_a_slice_edge_reads_as_in_one_call(
    head: bytes, tail: bytes, shift: int, lines: bool
) -> None:
    filler = (b"abc=3D\r\n" * SLICE)[: SLICE - shift] if lines else b"x" * (SLICE - shift)
    data = filler + head + tail
    assert decode_transfer(memoryview(data), "quoted-printable") == binascii.a2b_qp(data)
