"""Mailpit's attachment thumbnail: `GET /api/v1/message/{ID}/part/{PartID}/thumb`, always a
180x120 JPEG (`server/apiv1/thumbnails.go`).

An image is turned upright (EXIF orientation), then scaled down to fit 180x120 when smaller
than that in either direction, or scaled and centre-cropped to fill it otherwise (Lanczos), and
laid on a white 180x120 canvas (transparency becomes white), JPEG quality 70. A part that is not
an image, cannot be read, or declares more than `MAX_PIXELS` pixels (a decompression bomb) gives
a blank white thumbnail, as in Mailpit. Mailpit takes no `latest` here: an unknown message or
part is its 400 text.

Bounded: the pixel count is read from the image's header before anything is decoded; a
multi-frame image is read for its first frame only; the work runs on a worker thread.
"""

from __future__ import annotations

import asyncio
import io
import warnings
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from mailyard.sandbox import NotFoundError, Part, message_part
from mailyard.web.api.describe import ID, TEXT_ERROR, operation, path
from mailyard.web.api.lookup import find_raw, find_record
from mailyard.web.api.reading import off_loop
from mailyard.web.api.surface import VERBATIM
from mailyard.web.errors import RequestError

if TYPE_CHECKING:
    from PIL import Image

WIDTH, HEIGHT = 180, 120
MAX_PIXELS = 20_000_000  # Mailpit's limit on a declared image size
QUALITY = 70


def _blank() -> Image.Image:
    from PIL import Image  # ~10 ms: imported by the first thumbnail, not at start-up

    return Image.new("RGB", (WIDTH, HEIGHT), "white")


def _fit(image: Image.Image) -> Image.Image:
    """Mailpit's choice: `imaging.Fit` (shrink to fit, never enlarge) for an image smaller than
    the thumbnail either way, else `imaging.Fill` (scale to cover, crop the centre)."""
    from PIL import Image

    lanczos = Image.Resampling.LANCZOS
    w, h = image.size
    if w < WIDTH or h < HEIGHT:
        scale = min(1.0, WIDTH / w, HEIGHT / h)
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        return image.resize(size, lanczos, reducing_gap=3.0) if scale < 1 else image
    scale = max(WIDTH / w, HEIGHT / h)
    cw, ch = WIDTH / scale, HEIGHT / scale  # the part of the image the thumbnail shows
    box = ((w - cw) / 2, (h - ch) / 2, (w + cw) / 2, (h + ch) / 2)
    # reducing_gap: shrink by whole factors first (cheap), then Lanczos for the last step.
    return image.resize((WIDTH, HEIGHT), lanczos, box=box, reducing_gap=3.0)


def _picture(data: bytes) -> Image.Image | None:
    """The image in `data` (RGB or RGBA), or None when it is not one we may decode."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data))
            if opened.width * opened.height > MAX_PIXELS:
                return None
            opened.seek(0)
            opened.draft("RGB", (WIDTH * 2, HEIGHT * 2))  # a JPEG decodes at a fraction of its size
            image = ImageOps.exif_transpose(opened) or opened
            return image if image.mode in ("RGB", "RGBA") else image.convert("RGBA")
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        ValueError,
        EOFError,
        SyntaxError,  # Pillow raises it for some malformed files
    ):
        return None


def thumbnail(data: bytes, content_type: str) -> bytes:
    """The 180x120 JPEG of an image part (blank white for anything else)."""
    canvas = _blank()
    picture = _picture(data) if content_type.startswith("image/") else None
    if picture is not None:
        fitted = _fit(picture)
        at = ((WIDTH - fitted.width) // 2, (HEIGHT - fitted.height) // 2)
        canvas.paste(fitted, at, fitted if fitted.mode == "RGBA" else None)
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=QUALITY)
    return out.getvalue()


@operation(
    "A 180x120 JPEG thumbnail of an image attachment (blank white for any other part)",
    parameters=[ID, path("part", "PartID of the attachment")],
    responses={
        "200": {
            "description": "JPEG",
            "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
        },
        "400": TEXT_ERROR,
    },
    errors="mailpit",
)
async def thumb(request: Request) -> Response:
    try:
        record = find_record(request, latest=False)
    except RequestError:
        raise RequestError(400, "sql: no rows in result set", "id", code=VERBATIM) from None

    def part() -> tuple[Part, bytes]:
        return message_part(find_raw(request, record), request.path_params["part"])

    try:
        info, data = await off_loop(record.summary.size, part)
    except NotFoundError:
        raise RequestError(400, "attachment not found", "part", code=VERBATIM) from None
    # Always a thread: a small file may still be a big picture to decode and scale.
    jpeg = await asyncio.to_thread(thumbnail, data, info.content_type)
    name = (info.filename or info.content_id).replace('"', "").replace("\\", "")
    return Response(
        jpeg,
        media_type="image/jpeg",
        headers={"Content-Disposition": f'filename="{name}"', "X-Content-Type-Options": "nosniff"},
    )
