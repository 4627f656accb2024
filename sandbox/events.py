"""The event bus: what happened in the sandbox, told to whoever listens, without the teller
knowing them.

The store publishes `MessageStored` after each commit; long polls, the live inbox, Mailpit's
WebSocket, the simulator and the webhook dispatcher subscribe. Two ways to listen:

- `listen(callback, *types)`: a plain function called synchronously inside `publish`, on the
  event loop. For cheap, non-blocking work only (match a waiter, set a future, queue a job).
- `subscribe(*types)`: an async iterator with a bounded queue, for a task that streams events
  out (an event stream, a WebSocket). A subscriber that falls behind loses its oldest events
  and is told how many (`dropped`), so one slow reader never holds memory or slows the writer.

Events are frozen dataclasses; modules further up (the simulator) add their own subclasses of
`Event`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

log = logging.getLogger("mailyard.events")

E = TypeVar("E", bound="Event")


@dataclass(frozen=True)
class Event:
    """Base of every event on the bus."""


@dataclass(frozen=True)
class MessageStored(Event):
    """A message was committed: durable and searchable from now on."""

    seq: int
    id: str
    mailbox: str
    source: str  # smtp | api | ses | ses-v1 | resend
    mail_from: str
    recipients: tuple[str, ...]  # the envelope's, which is where the mail was really going
    subject: str
    size: int
    created: float
    # The derived fields a waiter matches against (a `sandbox.mail.summary.Summary`).
    summary: Any = field(default=None, compare=False, repr=False)
    provider_id: str = ""  # SES's or Resend's message id, for mail that came through their API
    provider_json: str = "{}"


@dataclass(frozen=True)
class MessagesDeleted(Event):
    """Messages were deleted: the given IDs, or every message (of `mailbox`) when `ids` is None."""

    ids: tuple[str, ...] | None
    mailbox: str | None = None
    reason: str = "delete"  # delete | prune (retention) | truncate (delete all)


@dataclass(frozen=True)
class MessagesUpdated(Event):
    """Read status or tags of messages changed (None: possibly every message of `mailbox`)."""

    ids: tuple[str, ...] | None
    mailbox: str | None = None
    read: bool | None = None
    tags: bool = False


@dataclass(frozen=True)
class SMTPErrorReply(Event):
    """The SMTP sink answered a command with a 4xx or 5xx reply (Mailpit's `error` event)."""

    reply: str  # the reply line as sent, e.g. "451 4.3.0 Chaos sender error"
    client_addr: str = ""  # the client's IP address

    @property
    def code(self) -> int:
        head = self.reply[:3]
        return int(head) if head.isdigit() else 0


class Subscription(AsyncIterator[Event]):
    """A bounded queue of events for one consumer; iterate it, or `get()` with a timeout."""

    def __init__(self, bus: Bus, types: tuple[type[Event], ...], limit: int) -> None:
        self._bus = bus
        self.types = types
        self._queue: deque[Event] = deque(maxlen=limit)
        self._ready = asyncio.Event()
        self.dropped = 0
        self.closed = False

    def _offer(self, event: Event) -> None:
        if len(self._queue) == self._queue.maxlen:
            self.dropped += 1
        self._queue.append(event)
        self._ready.set()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._bus._subscriptions.discard(self)
            self._ready.set()

    async def get(self, timeout: float | None = None) -> Event | None:
        """The next event; None on timeout. Raises StopAsyncIteration once closed and drained."""
        while not self._queue:
            if self.closed:
                raise StopAsyncIteration
            self._ready.clear()
            try:
                await asyncio.wait_for(self._ready.wait(), timeout)
            except TimeoutError:
                return None
        return self._queue.popleft()

    def drain(self) -> list[Event]:
        """Every queued event, without waiting."""
        events = list(self._queue)
        self._queue.clear()
        return events

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Event:
        event = await self.get()
        assert event is not None
        return event

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Bus:
    """Fan-out of events to callbacks and subscriptions, on the event loop."""

    def __init__(self) -> None:
        self._listeners: list[tuple[tuple[type[Event], ...], Callable[[Any], None]]] = []
        self._subscriptions: set[Subscription] = set()
        self.closed = False
        self.published = 0

    def publish(self, event: Event) -> None:
        self.published += 1
        for types, callback in list(self._listeners):
            if isinstance(event, types):
                try:
                    callback(event)
                except Exception:
                    log.exception("an event listener failed on %s", type(event).__name__)
        for subscription in list(self._subscriptions):
            if isinstance(event, subscription.types):
                subscription._offer(event)

    def listen(self, callback: Callable[[E], None], *types: type[E]) -> Callable[[], None]:
        """Call `callback(event)` for each event of `types` (all, if none); returns unlisten."""
        entry = (types or (Event,), callback)
        self._listeners.append(entry)

        def unlisten() -> None:
            if entry in self._listeners:
                self._listeners.remove(entry)

        return unlisten

    def subscribe(self, *types: type[Event], limit: int = 1000) -> Subscription:
        """A queue of the events of `types` (all, if none) published from now on."""
        subscription = Subscription(self, types or (Event,), limit)
        if self.closed:
            subscription.closed = True
        else:
            self._subscriptions.add(subscription)
        return subscription

    @property
    def subscribers(self) -> int:
        return len(self._subscriptions)

    def close(self) -> None:
        """End every subscription (the service is stopping): streams and long polls return."""
        self.closed = True
        for subscription in list(self._subscriptions):
            subscription.close()
        self._listeners.clear()
