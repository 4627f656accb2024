"""Big response bodies go out a slice at a time.

A response hands the server its whole body in one ASGI message; uvicorn writes it to the
socket at once, and asyncio keeps what the socket did not take in the transport's buffer: a
copy of up to the whole body, made on the event loop (a 40 MB message's JSON: tens of
milliseconds during which nothing else runs, issue 9). Sent in slices of `SLICE` bytes, each
write copies at most a slice, and the server's flow control lets the loop run between them
while a slow reader drains the socket. The bytes are the same; the headers (Content-Length
included) are untouched.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SLICE = 1024 * 1024


class SlicedBodies:
    """Splits any response body longer than `slice_size` into messages of that size."""

    def __init__(self, app: ASGIApp, slice_size: int = SLICE) -> None:
        self.app = app
        self.slice_size = slice_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        size = self.slice_size

        async def sliced(message: Message) -> None:
            body = message.get("body", b"")
            if message["type"] != "http.response.body" or len(body) <= size:
                await send(message)
                return
            more = bool(message.get("more_body", False))
            view = memoryview(body)
            for at in range(0, len(body), size):
                last = at + size >= len(body)
                await send(
                    {
                        "type": "http.response.body",
                        "body": bytes(view[at : at + size]),
                        "more_body": more or not last,
                    }
                )

        await self.app(scope, receive, sliced)
