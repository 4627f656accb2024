"""Mailpit's thumbnails: always a 180x120 JPEG, blank for what is not a readable image, and
never a decompression bomb decoded."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image
from support.budget import cpu_budget

from mailyard.web.api.thumb import thumbnail


def _png(width: int, height: int, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    colour = (255, 0, 0) if mode == "RGB" else (255, 0, 0, 0)
    Image.new(mode, (width, height), colour).save(out, "PNG")
    return out.getvalue()


def _declared_png(width: int, height: int) -> bytes:
    """A PNG header claiming a size, with no pixels behind it."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    return (
        b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk))
    )


def _open(jpeg: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(jpeg))
    assert image.format == "JPEG" and image.size == (180, 120)
    return image.convert("RGB")


@pytest.mark.parametrize(
    ("size", "corner_white"),
    [((50, 50), True), ((400, 300), False), ((1000, 100), True), ((3000, 2000), False)],
)
def test_fit_small_fill_large(size: tuple[int, int], corner_white: bool) -> None:
    image = _open(thumbnail(_png(*size), "image/png"))
    red = image.getpixel((90, 60))
    assert isinstance(red, tuple) and red[0] > 240 and red[1] < 20
    corner = image.getpixel((0, 0))
    assert isinstance(corner, tuple) and (min(corner) > 240) == corner_white


def test_transparency_becomes_white() -> None:
    pixel = _open(thumbnail(_png(300, 300, "RGBA"), "image/png")).getpixel((90, 60))
    assert isinstance(pixel, tuple) and min(pixel) > 240


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b"not an image", "image/png"),
        (_png(10, 10), "application/pdf"),
        (_declared_png(100_000, 100_000), "image/png"),
    ],
)
def test_anything_else_is_a_blank_thumbnail(data: bytes, content_type: str) -> None:
    with cpu_budget(1, "a thumbnail of a bomb or a non-image"):
        pixel = _open(thumbnail(data, content_type)).getpixel((90, 60))
    assert isinstance(pixel, tuple) and min(pixel) > 240
