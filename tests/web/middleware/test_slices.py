"""Big response bodies leave in slices (web.middleware.slices): the same bytes and headers, no
message to the server larger than a slice, small bodies untouched."""

from __future__ import annotations

import smtplib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send
from support.servers import start_inprocess

from mailyard.web.middleware.slices import SlicedBodies

SLICE = 64 * 1024
BIG = bytes(range(256)) * 1000  # 256,000 bytes: almost four slices


async def big(request: Request) -> Response:
    return Response(BIG, media_type="application/octet-stream")


async def small(request: Request) -> Response:
    return Response(b"tiny")


async def streamed(request: Request) -> Response:
    async def pieces() -> AsyncIterator[bytes]:
        yield BIG
        yield b"end"

    return StreamingResponse(pieces())


class Recorder:
    """Sits outside the middleware and notes the body messages it hands the server."""

    def __init__(self) -> None:
        app = Starlette(routes=[Route("/big", big), Route("/small", small), Route("/s", streamed)])
        self.app = SlicedBodies(app, SLICE)
        self.bodies: list[tuple[int, bool]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def record(message: Message) -> None:
            if message["type"] == "http.response.body":
                self.bodies.append((len(message["body"]), message.get("more_body", False)))
            await send(message)

        await self.app(scope, receive, record)


async def fetch(path: str) -> tuple[httpx.Response, list[tuple[int, bool]]]:
    recorder = Recorder()
    transport = httpx.ASGITransport(app=recorder)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as api:
        return await api.get(path), recorder.bodies


async def test_a_big_body_leaves_in_slices_with_the_same_bytes_and_length() -> None:
    response, bodies = await fetch("/big")
    assert response.content == BIG
    assert response.headers["content-length"] == str(len(BIG))
    assert [size for size, _ in bodies] == [SLICE, SLICE, SLICE, len(BIG) - 3 * SLICE]
    assert [more for _, more in bodies] == [True, True, True, False]


async def test_a_small_body_is_one_message() -> None:
    response, bodies = await fetch("/small")
    assert response.content == b"tiny"
    assert bodies == [(4, False)]


async def test_a_streamed_body_keeps_streaming_after_its_big_piece() -> None:
    response, bodies = await fetch("/s")
    assert response.content == BIG + b"end"
    assert max(size for size, _ in bodies) <= SLICE
    assert all(more for _, more in bodies[:-1]) and (3, True) in bodies


def test_a_big_message_reaches_a_client_whole_through_the_app(tmp_path: Path) -> None:
    server = start_inprocess(tmp_path)
    try:
        text = "x" * 3_000_000  # its JSON is three slices of the app's 1 MB
        mime = f"Subject: big\r\nContent-Type: text/plain\r\n\r\n{text}\r\n"
        with smtplib.SMTP("127.0.0.1", server.smtp_port) as smtp:
            smtp.sendmail("a@example.com", ["b@example.com"], mime)
        with server.api() as api:
            found = api.get("/api/v1/message/latest").json()
        assert found["Text"].rstrip() == text
    finally:
        server.stop()
