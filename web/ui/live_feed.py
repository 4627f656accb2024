"""One feed behind every open inbox stream: the work a change costs does not grow with the tabs.

The live inbox (`web.ui.stream`) tells each open page that mail arrived or changed, that the
simulator has news of some messages, or that a suppression list changed. Done per
stream — a bus subscription each, and each running the totals queries when told — a thousand
open tabs cost a thousand queue appends per commit and three thousand queries a tick, and cut
SMTP ingest from 1,232 to 9 msg/s (issue 9). Here one subscription collects the changes; once a
tick the feed works out each watched mailbox's update once (one totals query per mailbox, the
cursor and the mailbox list once) and hands every stream the same bytes. A commit costs one
queue append; a tick costs the queries plus one small write per open stream.

Ticks come at most every `INTERVAL` seconds, and the writes of a tick are spread:

- with many streams open the interval grows so that all of them together are sent at most
  `WRITES_PER_SECOND` updates a second (1,000 tabs: one update a second each): a write to a
  socket costs ~50 us on the loop whatever it holds, so a fixed rate per tab would let the tabs
  take the loop from ingest (measured: 4 Hz x 1,000 tabs took 20 % of it);
- streams are woken `SLICE` at a time, one slice per loop iteration, so no iteration spends
  more than a few milliseconds writing and an SMTP reply waiting behind it is not held up.

A stream that has not written its last update when the next comes gets them merged: the newest
totals replace the older, and two `deliveries` updates become "more" (refresh everything).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from mailyard.sandbox import (
    Bus,
    Event,
    EventsOccurred,
    MessagesDeleted,
    MessageStored,
    MessagesUpdated,
    StoredEvent,
    Subscription,
    SuppressionsChanged,
)
from mailyard.web.ui.delivery_news import news

KEEPALIVE = 15.0
INTERVAL = 0.25
WRITES_PER_SECOND = 1000
SLICE = 64
# Enough to name the messages the simulator's events are about (delivery_news), not only to
# notice that something changed; past it a tick says "more" and pages refresh everything.
QUEUE = 256

_MORE = b'event: deliveries\ndata: {"ids": [], "more": true}\n\n'
_SUPPRESSIONS = b"event: suppressions\ndata: {}\n\n"  # the list changed: the page asks again
_KEEPALIVE = b": keepalive\n\n"


class Totals(Protocol):
    """What the feed reads from the store (`sandbox.store.messages.Messages`)."""

    def totals(self, mailbox: str | None = None) -> tuple[int, int]: ...

    def cursor(self) -> int: ...

    def mailboxes(self) -> dict[str, tuple[int, int]]: ...


@dataclass(eq=False)
class Listener:
    """One open stream's side of the feed: the update it has yet to write."""

    mailbox: str | None
    deliveries: bytes | None = None
    messages: bytes | None = None
    suppressions: bool = False
    keepalive: bool = False
    closed: bool = False
    _ready: asyncio.Event = field(default_factory=asyncio.Event)

    def offer(
        self, deliveries: bytes | None, messages: bytes | None, suppressions: bool = False
    ) -> None:
        if deliveries is not None:
            self.deliveries = deliveries if self.deliveries is None else _MORE
        if messages is not None:
            self.messages = messages
        self.suppressions |= suppressions
        self._ready.set()

    def poke(self) -> None:
        self.keepalive = True
        self._ready.set()

    def end(self) -> None:
        self.closed = True
        self._ready.set()

    async def next(self) -> bytes | None:
        """The bytes to write next (one write per update); None once the feed has ended."""
        while True:
            chunk = (self.deliveries or b"") + (self.messages or b"")
            if self.suppressions:
                chunk += _SUPPRESSIONS
            if not chunk and self.keepalive:
                chunk = _KEEPALIVE
            self.deliveries = self.messages = None
            self.suppressions = self.keepalive = False
            if chunk:
                return chunk
            if self.closed:
                return None
            self._ready.clear()
            await self._ready.wait()


class LiveFeed:
    """The changes of the store, told once per tick to every open stream."""

    def __init__(
        self,
        bus: Bus,
        messages: Totals,
        *,
        interval: float = INTERVAL,
        keepalive: float = KEEPALIVE,
        writes_per_second: int = WRITES_PER_SECOND,
    ) -> None:
        self._bus = bus
        self._messages = messages
        self._interval = interval
        self._keepalive = keepalive
        self._writes_per_second = writes_per_second
        self._listeners: set[Listener] = set()
        self._task: asyncio.Task[None] | None = None
        self.ticks = 0  # updates worked out (each once, for every stream)

    def __len__(self) -> int:
        return len(self._listeners)

    def serves(self, bus: Bus) -> bool:
        """Whether this feed listens to `bus` (an app's services can be reopened)."""
        return self._bus is bus

    @contextmanager
    def listen(self, mailbox: str | None) -> Iterator[Listener]:
        """A listener for a stream of `mailbox` (None: every mailbox), for as long as it runs."""
        listener = Listener(mailbox)
        self._listeners.add(listener)
        if self._task is None or self._task.done():
            # Subscribed now, not when the task first runs: nothing committed from here on
            # is missed.
            subscription = self._bus.subscribe(
                MessageStored,
                MessagesDeleted,
                MessagesUpdated,
                EventsOccurred,
                SuppressionsChanged,
                limit=QUEUE,
            )
            self._task = asyncio.get_running_loop().create_task(self._pump(subscription))
        try:
            yield listener
        finally:
            self._listeners.discard(listener)

    def interval(self) -> float:
        """Seconds between ticks: `INTERVAL`, longer when many streams are open."""
        return max(self._interval, len(self._listeners) / self._writes_per_second)

    async def _pump(self, subscription: Subscription) -> None:
        lost = 0
        try:
            while self._listeners:
                try:
                    event = await subscription.get(self._keepalive)
                except StopAsyncIteration:  # the service is stopping
                    return
                if event is None:
                    for listener in list(self._listeners):
                        listener.poke()
                    continue
                told = [event, *subscription.drain()]
                dropped = subscription.dropped > lost
                lost = subscription.dropped
                await self._tell(told, dropped)
                # Coalesce: whatever arrives meanwhile becomes one more update, not many.
                await asyncio.sleep(self.interval())
        finally:
            subscription.close()
            if self._bus.closed:
                for listener in list(self._listeners):
                    listener.end()

    async def _tell(self, told: list[Event], dropped: bool) -> None:
        self.ticks += 1
        mailboxes = {listener.mailbox for listener in self._listeners}
        deliveries = _deliveries(told, mailboxes, dropped)
        messages: dict[str | None, bytes | None] = dict.fromkeys(mailboxes)
        # Only the simulator or the suppression list spoke: the totals are as they were.
        if any(isinstance(e, MessageStored | MessagesDeleted | MessagesUpdated) for e in told):
            messages = self._totals(mailboxes)
        # A lost event may have been a suppression too: then every list page asks again.
        suppressed = {e.mailbox for e in told if isinstance(e, SuppressionsChanged)}
        for n, listener in enumerate(list(self._listeners)):
            if n and not n % SLICE:
                await asyncio.sleep(0)  # the slice just woken writes in the next iteration
            listener.offer(
                deliveries.get(listener.mailbox),
                messages.get(listener.mailbox),
                dropped
                or bool(
                    suppressed and (listener.mailbox is None or listener.mailbox in suppressed)
                ),
            )

    def _totals(self, mailboxes: set[str | None]) -> dict[str | None, bytes | None]:
        store = self._messages
        cursor, every = store.cursor(), store.mailboxes()
        frames: dict[str | None, bytes | None] = {}
        for mailbox in mailboxes:
            total, unread = store.totals(mailbox)
            data = json.dumps(
                {"cursor": cursor, "total": total, "unread": unread, "mailboxes": every}
            )
            frames[mailbox] = f"event: messages\ndata: {data}\n\n".encode()
        return frames


def _deliveries(
    told: list[Event], mailboxes: set[str | None], dropped: bool
) -> dict[str | None, bytes | None]:
    """The `deliveries` update of each watched mailbox: the simulator's events sorted by
    mailbox in one pass, so a hundred watched mailboxes do not each read every event."""
    occurred = [e for e in told if isinstance(e, EventsOccurred)]
    if not occurred and not dropped:
        return {}
    by_mailbox: dict[str, list[StoredEvent]] = {}
    for event in occurred:
        for stored in event.events:
            if stored.mailbox in mailboxes:
                by_mailbox.setdefault(stored.mailbox, []).append(stored)
    return {
        m: news(
            occurred if m is None else [EventsOccurred(tuple(by_mailbox.get(m, ())))],
            m,
            dropped=dropped,
        )
        for m in mailboxes
    }


__all__ = ["INTERVAL", "KEEPALIVE", "Listener", "LiveFeed", "Totals"]
