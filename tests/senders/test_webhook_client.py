"""The webhook client against real sockets on 127.0.0.1: answers read, connections reused, and
every connection closed by the client: one that hangs when its deadline passes, and all of them,
idle or mid-exchange, at `aclose`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from mailyard.senders.webhook import WebhookClient


@asynccontextmanager
async def server(answer: bytes | None) -> AsyncIterator[tuple[int, asyncio.Event, list[int]]]:
    """A server answering every request with `answer` (None: never); yields its port, an event
    set when a client closes its connection, and how many connections were opened."""
    closed, opened = asyncio.Event(), [0]
    handlers: list[asyncio.Task[None]] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers.append(asyncio.current_task())  # type: ignore[arg-type]
        opened[0] += 1
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                break  # the client closed the connection
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            if answer is None:
                await reader.read()  # until the client goes away
                break
            writer.write(answer)
            await writer.drain()
        closed.set()
        writer.close()
        await writer.wait_closed()

    listening = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield listening.sockets[0].getsockname()[1], closed, opened
    finally:
        listening.close()
        await listening.wait_closed()
        # Each connection's handler ends when the client closes its side (bounded).
        await asyncio.wait_for(asyncio.gather(*handlers), 10)


async def until(condition: Callable[[], bool]) -> None:
    """Return once `condition()` holds (the caller bounds the wait)."""
    while not condition():
        await asyncio.sleep(0.001)


async def test_an_answer_is_read_and_the_connection_kept() -> None:
    ok = b"HTTP/1.1 204 No Content\r\n\r\n"
    async with server(ok) as (port, _, opened):
        client = WebhookClient()
        first = await client.post(f"http://127.0.0.1:{port}/a", b"{}", {}, timeout=5)
        second = await client.post(f"http://127.0.0.1:{port}/b", b"{}", {}, timeout=5)
        await client.aclose()
    assert (first.status, second.status, first.ok) == (204, 204, True)
    assert opened == [1]


async def test_a_hanging_endpoint_gets_its_connection_closed_at_the_deadline() -> None:
    async with server(None) as (port, closed, _):
        client = WebhookClient()
        answer = await client.post(f"http://127.0.0.1:{port}/hook", b"{}", {}, timeout=0.2)
        # The server learns the client gave up: the socket was closed, not left to the GC.
        await asyncio.wait_for(closed.wait(), 10)
        assert client.open_connections == 0
        await client.aclose()
    assert answer.status is None and answer.error == "no answer within 0.2 s"


async def test_aclose_closes_a_connection_in_the_middle_of_an_exchange() -> None:
    async with server(None) as (port, closed, opened):
        client = WebhookClient()
        posting = asyncio.ensure_future(
            client.post(f"http://127.0.0.1:{port}/hook", b"{}", {}, timeout=60)
        )
        await asyncio.wait_for(until(lambda: bool(opened[0] and client.open_connections)), 10)
        await client.aclose()
        answer = await asyncio.wait_for(posting, 10)
        await asyncio.wait_for(closed.wait(), 10)
        later = await client.post(f"http://127.0.0.1:{port}/hook", b"{}", {}, timeout=5)
    # The exchange failed at once (not at its 60 s deadline), and nothing new was opened.
    assert answer.status is None and answer.error is not None and "no answer" not in answer.error
    assert later.status is None and later.error == "the webhook client is closed"
    assert opened == [1] and client.open_connections == 0


async def test_connections_are_counted_until_closed() -> None:
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    closing = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    async with server(ok) as (port, _, _):
        client = WebhookClient()
        await client.post(f"http://127.0.0.1:{port}/", b"{}", {}, timeout=5)
        assert client.open_connections == 1  # idle in the pool
        await client.aclose()
        assert client.open_connections == 0
    async with server(closing) as (port, _, _):
        client = WebhookClient()
        answer = await client.post(f"http://127.0.0.1:{port}/", b"{}", {}, timeout=5)
        assert answer.status == 200 and client.open_connections == 0
        await client.aclose()
