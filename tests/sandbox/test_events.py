"""The event bus: listeners, bounded subscriptions, and shutdown."""

from __future__ import annotations

import asyncio

from mailyard.sandbox.events import Bus, MessagesDeleted, MessageStored


def stored(seq: int) -> MessageStored:
    return MessageStored(seq, f"id{seq}", "default", "smtp", "a@x", ("b@x",), "s", 10, 0.0)


def test_listeners_get_only_their_types() -> None:
    bus = Bus()
    seen: list[int] = []
    unlisten = bus.listen(lambda e: seen.append(e.seq), MessageStored)
    bus.publish(stored(1))
    bus.publish(MessagesDeleted(None))
    unlisten()
    bus.publish(stored(2))
    assert seen == [1]


def test_a_failing_listener_does_not_stop_the_others() -> None:
    bus = Bus()
    seen: list[int] = []
    bus.listen(lambda e: 1 / 0, MessageStored)
    bus.listen(lambda e: seen.append(e.seq), MessageStored)
    bus.publish(stored(1))
    assert seen == [1]


async def test_a_slow_subscriber_loses_its_oldest_events_and_is_told() -> None:
    bus = Bus()
    with bus.subscribe(MessageStored, limit=3) as sub:
        for seq in range(5):
            bus.publish(stored(seq))
        assert sub.dropped == 2
        assert [e.seq for e in sub.drain()] == [2, 3, 4]  # type: ignore[attr-defined]


async def test_closing_the_bus_ends_subscriptions() -> None:
    bus = Bus()
    sub = bus.subscribe()

    async def consume() -> list[object]:
        return [event async for event in sub]

    task = asyncio.create_task(consume())
    bus.publish(stored(1))
    await asyncio.sleep(0)
    bus.close()
    assert len(await asyncio.wait_for(task, 1)) == 1
    assert bus.subscribers == 0


async def test_get_times_out_with_none() -> None:
    with Bus().subscribe() as sub:
        assert await sub.get(timeout=0.01) is None
