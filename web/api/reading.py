"""Reading a stored message for a route without holding up the event loop.

Reading mail is linear (`sandbox.mail`), but linear in a 48 MB message is still ~1 s of
fetching, parsing, decoding and hashing: on the loop, every other request and SMTP session
would wait that long (issue 9). So a message over `OFF_LOOP` bytes is read on a worker thread,
and so is the work a route then does over its bodies (links, codes, the HTML rewrite). The
sandbox readers hand C a slice at a time (`sandbox.mail.slices`), so the worker gives the GIL
back to the loop every few milliseconds. Small messages stay on the loop: a thread hop costs
more than reading them.

Each route reads its message once: the part tree, the view and Mailpit's part lists come from
one parse (`Opened`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse

from mailyard.sandbox import About, MessageRecord, MessageView, mimetree, view_message, view_tree
from mailyard.web.api.lookup import find_raw

OFF_LOOP = 64 * 1024
LONG_STRING = 64 * 1024  # characters: JSON-encoded a slice at a time

P = ParamSpec("P")
T = TypeVar("T")


async def off_loop(size: int, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`work(*args, **kwargs)`, on a worker thread when it reads more than `OFF_LOOP` bytes
    (`size`), else here."""
    if size > OFF_LOOP:
        return await asyncio.to_thread(work, *args, **kwargs)
    return work(*args, **kwargs)


@dataclass(frozen=True)
class Opened:
    """A stored message read once: its bytes, its part tree and what a reader sees."""

    record: MessageRecord
    raw: bytes
    root: mimetree.Node
    view: MessageView


async def read_message(
    request: Request, record: MessageRecord, then: Callable[[Opened], T]
) -> tuple[Opened, T]:
    """`record`'s message read (fetched, parsed, viewed), and `then` of it, on a worker thread
    when the message is big: the route's own work over the bodies runs there too."""

    def work() -> tuple[Opened, T]:
        raw = find_raw(request, record)
        root, notes = mimetree.parse(raw)
        opened = Opened(record, raw, root, view_tree(root, notes))
        return opened, then(opened)

    return await off_loop(record.summary.size, work)


async def encoded(text: str) -> bytes:
    """`text` in UTF-8, as a `Response` would encode it; a long text on a worker thread, a
    slice at a time: one `encode` of an 8 MB body holds the GIL (and so the loop) ~25 ms."""
    if len(text) <= OFF_LOOP:
        return text.encode("utf-8")
    return await asyncio.to_thread(_encode_slices, text)


def _encode_slices(text: str) -> bytes:
    # A str slices between code points, so the slices' encodings join into the whole's.
    return b"".join(
        text[at : at + LONG_STRING].encode("utf-8") for at in range(0, len(text), LONG_STRING)
    )


def about_of(record: MessageRecord, raw: bytes) -> About:
    """The message an event is about (`About`), from its header block alone: the events'
    payloads need its headers, and parsing its bodies would be ~1 s for a 48 MB message."""
    _, body_at = mimetree.split_headers(raw)
    return About.of(record, view_message(raw[:body_at]))


def read_about(request: Request, record: MessageRecord) -> About:
    """`about_of` the stored message: run it through `off_loop` (`record.summary.size`)."""
    return about_of(record, find_raw(request, record))


class BodiesJSONResponse(JSONResponse):
    """A JSON object whose long string values (a message's bodies) are encoded a slice at a
    time: `json.dumps` of an 8 MB HTML body is one C call of ~200 ms with the GIL held, so on
    a worker thread it would still stop the loop. Same bytes as `JSONResponse`."""

    def render(self, content: Any) -> bytes:
        if not isinstance(content, dict):
            return super().render(content)
        pieces = [b"{"]
        for key, value in content.items():
            pieces.append(_dumps(str(key)) + b":")
            if isinstance(value, str) and len(value) > LONG_STRING:
                pieces.append(b'"')
                for at in range(0, len(value), LONG_STRING):
                    # Each character escapes on its own, so the slices join into the whole.
                    pieces.append(_dumps(value[at : at + LONG_STRING])[1:-1])
                pieces.append(b'"')
            else:
                pieces.append(_dumps(value))
            pieces.append(b",")
        pieces[-1] = b"}" if len(pieces) > 1 else b"{}"
        return b"".join(pieces)


def _dumps(value: object) -> bytes:
    """As Starlette's `JSONResponse` writes a value."""
    return json.dumps(
        value, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")
