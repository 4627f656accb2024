"""Searching and decoding a slice at a time finds what one call over the whole finds (the
slices keep a worker thread from holding the GIL; they may not change a result)."""

from __future__ import annotations

import codecs
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from mailyard.sandbox.mail import slices
from mailyard.sandbox.mail.charsets import decode
from mailyard.sandbox.mail.headers import parse_block
from mailyard.sandbox.mail.slices import SLICE

# Offsets around the slice edges, where a piece could be split.
_NEAR_EDGE = st.integers(-6, 6).flatmap(lambda d: st.sampled_from([SLICE + d, 2 * SLICE + d]))


@settings(max_examples=200, deadline=None)
@given(
    at=_NEAR_EDGE, needle=st.sampled_from([b"--b", b"\n--boundary", b"x"]), start=st.integers(0, 9)
)
def test_find_across_an_edge(at: int, needle: bytes, start: int) -> None:
    src = bytearray(b"." * (3 * SLICE))
    src[at : at + len(needle)] = needle
    data = bytes(src[: 3 * SLICE])
    assert slices.find(data, needle, start) == data.find(needle, start)
    assert slices.find(data, needle, start, at + 1) == data.find(needle, start, at + 1)


_TAG = re.compile(r"<a\b[^<>]{0,200}>")


@settings(max_examples=200, deadline=None)
@given(at=_NEAR_EDGE, width=st.integers(0, 199), pos=st.integers(0, 9))
def test_search_across_an_edge(at: int, width: int, pos: int) -> None:
    tag = "<a " + "h" * width + ">"
    text = "." * at + tag + "." * SLICE
    found = slices.search(_TAG, text, pos)
    assert found is not None and found.span() == (at, at + len(tag))
    assert slices.search(_TAG, text, at + 1) is None


@settings(max_examples=100, deadline=None)
@given(
    gaps=st.lists(st.integers(1, SLICE + 100), min_size=1, max_size=6),
    hard=st.booleans(),
)
def test_cuts_fall_after_a_boundary_character_and_cover_the_text(
    gaps: list[int], hard: bool
) -> None:
    text = "".join("a" * gap + ">" for gap in gaps)
    ends = list(slices.cuts(text, ">", hard=hard))
    assert ends[-1] == len(text) and ends == sorted(set(ends))
    previous = 0
    for end in ends[:-1]:  # a stretch with no ">" is cut where it ends, or with `hard` at SLICE
        assert text[end - 1] == ">" or (hard and end - previous == SLICE)
        previous = end


@settings(max_examples=100, deadline=None)
@given(
    at=_NEAR_EDGE,
    piece=st.sampled_from(["é", "€", "😀", "\x00"]).map(str.encode) | st.just(b"\xe2\x82"),
    charset=st.sampled_from(["utf-8", "windows-1252", "shift_jis", "utf-16"]),
)
def test_decoding_across_an_edge(at: int, piece: bytes, charset: str) -> None:
    data = b"a" * at + piece + b"b" * 100
    if charset == "utf-16":
        data = ("a" * (at // 2) + "é😀" + "b" * 50).encode("utf-16")
    assert decode(data, charset) == codecs.decode(data, charset, errors="replace")


def test_header_block_split_as_one_pass_splits_it() -> None:
    block = b"A: 1\r\nB: two\r\n  folded\r\nC:\r\n\tx\nD: lf only\n"
    assert parse_block(block) == [("A", "1"), ("B", "two  folded"), ("C", "x"), ("D", "lf only")]
    many = b"X-Long: " + b"v" * (2 * SLICE) + b"\r\nY: 2"
    assert parse_block(many) == [("X-Long", "v" * 2 * SLICE), ("Y", "2")]
