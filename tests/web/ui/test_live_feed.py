"""The live inbox's feed: the work a change costs does not grow with the open streams."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from starlette.types import ASGIApp, Message
from support.servers import start_inprocess

from mailyard.sandbox import Bus, Envelope, Store, Suppression
from mailyard.web.ui.live_feed import Listener, LiveFeed


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[Store, Bus]]:
    bus = Bus()
    with Store(str(tmp_path / "f.db"), publish=bus.publish) as s:
        yield s, bus
    bus.close()


async def _ingest(store: Store, i: int, mailbox: str = "default") -> None:
    raw = f"From: a@example.com\r\nTo: b{i}@example.com\r\nSubject: {i}\r\n\r\nhi\r\n".encode()
    await store.messages.ingest(raw, Envelope("a@example.com", (f"b{i}@x.test",), mailbox=mailbox))


async def _until(condition: object, bound: float = 10.0) -> None:
    async def wait() -> None:
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.005)

    await asyncio.wait_for(wait(), bound)


async def test_a_change_is_worked_out_once_for_every_stream(store: tuple[Store, Bus]) -> None:
    s, bus = store
    statements: list[str] = []
    s.reader().set_trace_callback(
        lambda sql: None if sql.startswith("--") else statements.append(sql)
    )
    feed = LiveFeed(bus, s.messages, interval=0.01)
    mailboxes = [None, *(f"ci-{i}" for i in range(9))]
    latest: dict[int, dict[str, object]] = {}

    async def reader(n: int, listener: Listener) -> None:
        while (chunk := await listener.next()) is not None:
            for block in chunk.decode().split("\n\n"):
                if block.startswith("event: messages"):
                    latest[n] = json.loads(block.split("data: ", 1)[1])

    with ExitStack() as stack:
        listeners = [stack.enter_context(feed.listen(mailboxes[n % 10])) for n in range(300)]
        readers = [asyncio.create_task(reader(n, ls)) for n, ls in enumerate(listeners)]
        assert bus.subscribers == 1  # one subscription, not one per stream
        for i in range(40):
            await _ingest(s, i, "default" if i % 2 else "ci-3")
        await _until(lambda: len(latest) == 300 and all(v["cursor"] == 40 for v in latest.values()))
        assert {n: v["total"] for n, v in latest.items() if n % 10 == 0} == dict.fromkeys(
            range(0, 300, 10), 40
        )
        assert all(v["total"] == 20 for n, v in latest.items() if n % 10 == 4)  # ci-3
        assert all(v["total"] == 0 for n, v in latest.items() if n % 10 not in (0, 4))
        # Per update: the cursor, the mailbox list, and one count per watched mailbox, however
        # many streams watch it (300 here), and at most one update per tick.
        assert feed.ticks <= 40
        assert len(statements) <= feed.ticks * (2 + len(mailboxes))
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
    assert len(feed) == 0


def test_a_stream_behind_gets_the_newest_totals_and_is_told_to_refresh() -> None:
    async def go() -> list[bytes | None]:
        listener = Listener(None)
        listener.offer(b"D1", b"M1")
        listener.offer(b"D2", b"M2")  # not written yet: merged
        first = await listener.next()
        listener.poke()  # a keepalive with nothing else to say
        second = await listener.next()
        listener.end()
        return [first, second, await listener.next()]

    first, second, third = asyncio.run(go())
    assert first == b'event: deliveries\ndata: {"ids": [], "more": true}\n\n' + b"M2"
    assert second == b": keepalive\n\n" and third is None


async def test_streams_end_when_the_service_stops(store: tuple[Store, Bus]) -> None:
    s, bus = store
    feed = LiveFeed(bus, s.messages, interval=0.01)
    with feed.listen(None) as listener:
        await _ingest(s, 1)
        assert await asyncio.wait_for(listener.next(), 10)
        bus.close()
        assert await asyncio.wait_for(listener.next(), 10) is None


async def test_many_streams_are_updated_less_often(store: tuple[Store, Bus]) -> None:
    s, bus = store
    feed = LiveFeed(bus, s.messages, interval=0.25, writes_per_second=1000)
    with ExitStack() as stack:
        few = feed.interval()
        for _ in range(2000):
            stack.enter_context(feed.listen(None))
        many = feed.interval()
    assert few == 0.25 and many == 2.0  # 2,000 streams x 0.5 updates/s = 1,000 writes/s


async def _open_stream(app: ASGIApp, query: bytes, received: asyncio.Queue[bytes]) -> None:
    """GET /ui/events as a browser tab would, each body chunk put on `received`; the tab is
    closed by cancelling this."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/ui/events",
        "raw_path": b"/ui/events",
        "query_string": query,
        "headers": [(b"host", b"127.0.0.1"), (b"accept", b"text/event-stream")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    closed = asyncio.Event()

    async def receive() -> Message:
        await closed.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            assert message["status"] == 200
        elif message.get("body"):
            await received.put(message["body"])

    try:
        await app(scope, receive, send)
    finally:
        closed.set()


async def _update(received: asyncio.Queue[bytes]) -> dict[str, object]:
    """The next `messages` update a stream writes (keepalives and the rest skipped)."""
    while True:
        chunk = (await asyncio.wait_for(received.get(), 10)).decode()
        for block in chunk.split("\n\n"):
            if block.startswith("event: messages"):
                return dict(json.loads(block.split("data: ", 1)[1]))


def test_open_inbox_tabs_share_one_feed_and_hear_of_new_mail(tmp_path: Path) -> None:
    with start_inprocess(tmp_path) as server:
        svc, app = server.services, server.app
        assert svc is not None and app is not None

        async def go() -> None:
            before = svc.bus.subscribers
            tabs = [(b"", asyncio.Queue[bytes]()) for _ in range(5)]
            tabs += [(b"mailbox=ci-7", asyncio.Queue[bytes]()) for _ in range(5)]
            opened = [asyncio.create_task(_open_stream(app, q, r)) for q, r in tabs]
            for _, received in tabs:
                assert await asyncio.wait_for(received.get(), 10) == b"retry: 2000\n\n"
            assert svc.bus.subscribers == before + 1  # ten tabs, one subscription
            raw = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\n\r\nhi\r\n"
            await svc.store.messages.ingest(raw, Envelope("a@example.com", ("b@example.com",)))
            updates = [await _update(received) for _, received in tabs]
            assert [u["total"] for u in updates] == [1] * 5 + [0] * 5
            assert all(u["cursor"] == updates[0]["cursor"] for u in updates)
            for task in opened:
                task.cancel()
            await asyncio.gather(*opened, return_exceptions=True)
            # The app's one feed (`web.ui.stream.live_feed`): closed tabs leave it.
            feed = getattr(app, "app").state.live_feed  # noqa: B009 - the app inside _WithState
            assert isinstance(feed, LiveFeed) and len(feed) == 0

        server.call(go)


async def test_a_changed_suppression_list_is_told_to_the_streams_that_show_it(
    store: tuple[Store, Bus],
) -> None:
    s, bus = store
    feed = LiveFeed(bus, s.messages, interval=0.01)
    told: dict[str | None, list[str]] = {None: [], "ci-1": [], "ci-2": []}

    async def reader(mailbox: str | None, listener: Listener) -> None:
        while (chunk := await listener.next()) is not None:
            told[mailbox] += [b.split("\n", 1)[0] for b in chunk.decode().split("\n\n") if b]

    with ExitStack() as stack:
        readers = [
            asyncio.create_task(reader(m, stack.enter_context(feed.listen(m)))) for m in told
        ]
        await s.deliveries.suppress([Suppression("ci-1", "gone@example.com", "BOUNCE", 0.0)])
        await _until(lambda: "event: suppressions" in told[None] + told["ci-1"])
        await _until(lambda: told[None].count("event: suppressions") == 1)
        await s.deliveries.unsuppress("ci-1", None)
        await _until(lambda: told["ci-1"].count("event: suppressions") == 2)
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
    assert "event: suppressions" not in told["ci-2"]  # another mailbox's list
    assert "event: messages" not in told["ci-1"]  # no totals worked out for a list change
