"""Delivering events to webhook endpoints: at least once, retried on the providers' schedules,
every attempt recorded, and no endpoint able to slow ingest or another endpoint.

    dispatcher = Dispatcher(store, bus, clock, client, formats)
    dispatcher.start()   # listens for EventsOccurred (MessageStored for Mailpit's format,
                         # AuthEvent for the auth service's lifecycle webhooks)

A delivery row is written before its first attempt, so a crash between the two retries it at
the next start. Attempts run as their own tasks, at most `per_endpoint` at once for one endpoint
(a hanging endpoint fills only its own slots), each with a deadline. Retries are timers on the
injected clock: moving the clock in a test makes them happen now.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import secrets
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any

from mailyard.sandbox.auth.events import AuthEvent
from mailyard.sandbox.clock import Clock
from mailyard.sandbox.events import Bus, MessageStored
from mailyard.sandbox.simulate.payloads import About
from mailyard.sandbox.store import Store
from mailyard.sandbox.store.deliveries import EventsOccurred, StoredEvent
from mailyard.sandbox.store.webhooks import FORMATS, Attempt, Delivery, Endpoint
from mailyard.sandbox.webhooks.formats import (
    RETRIES,
    TIMEOUT,
    Formats,
    Request,
    event_name,
    wants,
)
from mailyard.sandbox.webhooks.svix_signing import new_secret
from mailyard.senders.webhook import Answer, Target, WebhookClient

log = logging.getLogger("mailyard.webhooks")

AboutLookup = Callable[[str], About | None]
CACHE = 256  # messages whose parsed form is kept for rendering their events


class Dispatcher:
    """Queues, sends and retries deliveries."""

    def __init__(
        self,
        store: Store,
        bus: Bus,
        clock: Clock,
        client: WebhookClient,
        formats: Formats,
        about: AboutLookup,
        *,
        retry_scale: float = 1.0,
        timeout: float = TIMEOUT,
        per_endpoint: int = 10,
        rng: random.Random | None = None,
        mailpit_limit: float = 1.0,
        mailpit_delay: float = 0.0,
    ) -> None:
        self._store = store
        self._bus = bus
        self._clock = clock
        self._client = client
        self.formats = formats
        self._about_lookup = about
        self._about: OrderedDict[str, About | None] = OrderedDict()
        self.retry_scale = retry_scale
        self.timeout = timeout
        self._per_endpoint = per_endpoint
        self._rng = rng or random.Random()
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._endpoints: list[Endpoint] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._unlisten: list[Callable[[], None]] = []
        self.sent = 0
        # Mailpit's --webhook-limit (at most one post per N seconds; the rest are dropped, as
        # Mailpit drops them) and --webhook-delay.
        self._mailpit_limit = mailpit_limit
        self._mailpit_delay = mailpit_delay
        self._mailpit_last: dict[str, float] = {}

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        self._endpoints = self._store.webhooks.endpoints()
        self._unlisten = [
            self._bus.listen(self._on_events, EventsOccurred),
            self._bus.listen(self._on_stored, MessageStored),
            self._bus.listen(self._on_auth, AuthEvent),
        ]
        for delivery in self._store.webhooks.pending():
            self._at(delivery.next_attempt, delivery)

    async def close(self) -> None:
        for unlisten in self._unlisten:
            unlisten()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._client.aclose()

    async def idle(self) -> None:
        """Return once every attempt started so far has finished (for tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- endpoints ---------------------------------------------------------------------------

    async def register(
        self,
        url: str,
        endpoint_format: str,
        *,
        events: tuple[str, ...] = (),
        mailbox: str | None = None,
        secret: str | None = None,
    ) -> Endpoint:
        """Add an endpoint; an SNS one is sent its SubscriptionConfirmation at once.

        A URL the client could not reach is refused here (`WebhookURLError`), not at delivery.
        """
        if endpoint_format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}")
        Target.parse(url)
        if endpoint_format in ("resend", "auth"):
            key = secret or new_secret()
        elif endpoint_format == "sns":
            key = secrets.token_hex(64)  # the confirmation token, kept to check the visit
        else:
            key = ""
        endpoint = Endpoint(
            id="wh_" + secrets.token_hex(8),
            url=url,
            format=endpoint_format,
            secret=key,
            events=events,
            mailbox=mailbox,
            enabled=True,
            created=self._clock.now(),
            confirmed=endpoint_format != "sns",
        )
        await self._store.webhooks.add(endpoint)
        self._endpoints = self._store.webhooks.endpoints()
        if endpoint_format == "sns":
            self._spawn(self._confirm_subscription(endpoint))
        return endpoint

    def endpoints(self) -> list[Endpoint]:
        return list(self._endpoints)

    async def unregister(self, webhook_id: str) -> bool:
        removed = await self._store.webhooks.remove(webhook_id)
        self._endpoints = self._store.webhooks.endpoints()
        return removed

    async def confirmed(self, token: str) -> Endpoint | None:
        """An SNS receiver visited its SubscribeURL: start (and release) its deliveries."""
        endpoint = next(
            (e for e in self._endpoints if e.format == "sns" and e.secret == token), None
        )
        if endpoint is None:
            return None
        await self._store.webhooks.confirm(endpoint.id)
        self._endpoints = self._store.webhooks.endpoints()
        held = [d.id for d in self._store.webhooks.held(endpoint.id)]
        for delivery in await self._store.webhooks.requeue(held, self._clock.now()):
            self._attempt_soon(delivery)
        return replace(endpoint, confirmed=True)

    async def redeliver(self, delivery_id: int) -> Delivery | None:
        """Send a delivery again now, whatever became of it (a manual redelivery)."""
        found = await self._store.webhooks.requeue([delivery_id], self._clock.now())
        for delivery in found:
            self._attempt_soon(delivery)
        return found[0] if found else None

    # -- new events --------------------------------------------------------------------------

    def _on_events(self, told: EventsOccurred) -> None:
        wanted: list[tuple[Endpoint, StoredEvent]] = []
        for endpoint in self._endpoints:
            if endpoint.format in ("mailpit", "auth"):
                continue
            for event in told.events:
                if wants(endpoint, event_name(endpoint.format, event), event.mailbox):
                    wanted.append((endpoint, event))
        if wanted:
            self._spawn(self._create(wanted))

    def _on_stored(self, stored: MessageStored) -> None:
        now = self._clock.now()
        wanted = []
        for endpoint in self._endpoints:
            if endpoint.format != "mailpit" or not wants(endpoint, "new", stored.mailbox):
                continue
            last = self._mailpit_last.get(endpoint.id)
            if last is not None and now - last < self._mailpit_limit:
                continue  # Mailpit drops what comes within --webhook-limit of the last post
            self._mailpit_last[endpoint.id] = now
            wanted.append(endpoint)
        if wanted:
            self._spawn(self._create_for_message(wanted, stored))

    def _on_auth(self, event: AuthEvent) -> None:
        wanted = [
            e for e in self._endpoints if e.format == "auth" and wants(e, event.type, mailbox="")
        ]
        if wanted:
            body = json.dumps(event.payload(), ensure_ascii=False, separators=(",", ":"))
            self._spawn(self._create_for_auth(wanted, body))

    async def _create_for_auth(self, wanted: list[Endpoint], body: str) -> None:
        now = self._clock.now()
        rng = self._rng
        items = [(e.id, 0, self.formats.message_key(e, now, rng), "pending") for e in wanted]
        for delivery in await self._store.webhooks.create(items, now, payload=body):
            self._attempt_soon(delivery)

    async def _create(self, wanted: list[tuple[Endpoint, StoredEvent]]) -> None:
        now = self._clock.now()
        items = [
            (
                endpoint.id,
                event.id,
                self.formats.message_key(endpoint, now, self._rng),
                "pending" if endpoint.confirmed else "unconfirmed",
            )
            for endpoint, event in wanted
        ]
        for delivery in await self._store.webhooks.create(items, now):
            if delivery.status == "pending":
                self._attempt_soon(delivery)

    async def _create_for_message(self, wanted: list[Endpoint], stored: MessageStored) -> None:
        items = [(e.id, stored.seq, stored.id, "pending") for e in wanted]
        now = self._clock.now()
        for delivery in await self._store.webhooks.create(items, now):
            if self._mailpit_delay:
                self._at(now + self._mailpit_delay, delivery)
            else:
                self._attempt_soon(delivery)

    # -- attempts ----------------------------------------------------------------------------

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _attempt_soon(self, delivery: Delivery) -> None:
        self._spawn(self._attempt(delivery))

    def _at(self, when: float, delivery: Delivery) -> None:
        self._clock.call_at(when, lambda: self._attempt_soon(delivery))

    async def _attempt(self, delivery: Delivery) -> None:
        endpoint = next((e for e in self._endpoints if e.id == delivery.webhook), None)
        if endpoint is None:
            return  # unregistered meanwhile
        slots = self._slots.setdefault(endpoint.id, asyncio.Semaphore(self._per_endpoint))
        async with slots:
            now = self._clock.now()
            try:
                request = self._request(endpoint, delivery, now)
            except LookupError as exc:  # the message was deleted before its event went out
                answer = Answer(None, 0.0, error=str(exc))
                await self._record(endpoint, delivery, answer, now, final=True)
                return
            answer = await self._client.post(
                endpoint.url, request.body, request.headers, timeout=self.timeout
            )
        await self._record(endpoint, delivery, answer, now)

    def _request(self, endpoint: Endpoint, delivery: Delivery, now: float) -> Request:
        if endpoint.format in ("mailpit", "auth"):
            return self.formats.build(endpoint, delivery, None, None, now)
        events = self._store.deliveries.events(
            after=delivery.event - 1, limit=1, include_scheduled=True
        )
        event = events[0] if events and events[0].id == delivery.event else None
        about = self._about_of(event.message_id) if event is not None else None
        return self.formats.build(endpoint, delivery, event, about, now)

    def _about_of(self, message_id: str) -> About | None:
        if message_id in self._about:
            self._about.move_to_end(message_id)
            return self._about[message_id]
        found = self._about_lookup(message_id)
        self._about[message_id] = found
        if len(self._about) > CACHE:
            self._about.popitem(last=False)
        return found

    async def _record(
        self,
        endpoint: Endpoint,
        delivery: Delivery,
        answer: Answer,
        at: float,
        *,
        final: bool = False,
    ) -> None:
        attempt = Attempt(at, answer.status, answer.latency_ms, answer.snippet, answer.error)
        schedule = RETRIES.get(endpoint.format, ())
        permanent = (
            endpoint.format == "sns"
            and answer.status is not None
            and (400 <= answer.status < 500 and answer.status != 429)
        )  # SNS does not retry a 4xx other than 429
        if answer.ok:
            status, next_attempt = "succeeded", at
            self.sent += 1
        elif final or permanent or delivery.attempts >= len(schedule):
            status, next_attempt = "failed", at
        else:
            status = "pending"
            next_attempt = at + schedule[delivery.attempts] * self.retry_scale
        updated = await self._store.webhooks.attempted(delivery, attempt, status, next_attempt)
        if status == "pending":
            self._at(next_attempt, updated)
        elif status == "failed":
            log.warning(
                "webhook %s gave up on delivery %d after %d attempts: %s",
                endpoint.id,
                delivery.id,
                updated.attempts,
                answer.error or f"HTTP {answer.status}",
            )

    async def _confirm_subscription(self, endpoint: Endpoint) -> None:
        now = self._clock.now()
        (delivery,) = await self._store.webhooks.create(
            [(endpoint.id, 0, "SubscriptionConfirmation", "pending")], now
        )
        request = self.formats.confirmation(endpoint, now, self._rng)
        answer = await self._client.post(
            endpoint.url, request.body, request.headers, timeout=self.timeout
        )
        attempt = Attempt(now, answer.status, answer.latency_ms, answer.snippet, answer.error)
        status = "succeeded" if answer.ok else "failed"
        await self._store.webhooks.attempted(delivery, attempt, status, now)
