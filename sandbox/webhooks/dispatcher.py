"""Delivering events to webhook endpoints: at least once, retried on the providers' schedules,
every attempt recorded, and no endpoint able to slow ingest or another endpoint.

    dispatcher = Dispatcher(store, bus, clock, client, formats, about)
    dispatcher.start()   # listens for EventsOccurred (MessageStored for Mailpit's format,
                         # AuthEvent for the auth service's lifecycle webhooks)

A delivery row is written before its first attempt, so a crash between the two retries it at
the next start. Attempts run in a lane per endpoint (`attempts.Attempts`: at most
`per_endpoint` at once, so a hanging endpoint fills only its own), each with a deadline, and
yield to ingest while mail arrives faster than the loop keeps up (`pacing.Pacer`). Retries are
timers on the injected clock: moving the clock in a test makes them happen now.
"""

from __future__ import annotations

import asyncio
import json
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
from mailyard.sandbox.store.event_records import EventsOccurred, StoredEvent
from mailyard.sandbox.store.webhooks import FORMATS, Delivery, Endpoint
from mailyard.sandbox.webhooks.attempts import Attempts
from mailyard.sandbox.webhooks.formats import TIMEOUT, Formats, Request, event_names, wants
from mailyard.sandbox.webhooks.pacing import Pacer
from mailyard.sandbox.webhooks.svix_signing import new_secret
from mailyard.senders.webhook import Target, WebhookClient

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
        pacer: Pacer | None = None,
    ) -> None:
        self._store = store
        self._bus = bus
        self._clock = clock
        self._client = client
        self.formats = formats
        self._about_lookup = about
        self._about: OrderedDict[str, About | None] = OrderedDict()
        self._rng = rng or random.Random()
        self._endpoints: dict[str, Endpoint] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._unlisten: list[Callable[[], None]] = []
        self.pacer = pacer or Pacer()
        self.attempts = Attempts(
            store,
            clock,
            client,
            self._request,
            self._endpoints.get,
            retry_scale=retry_scale,
            timeout=timeout,
            per_endpoint=per_endpoint,
            pacer=self.pacer,
        )
        # Mailpit's --webhook-limit (at most one post per N seconds; the rest are dropped, as
        # Mailpit drops them) and --webhook-delay.
        self._mailpit_limit = mailpit_limit
        self._mailpit_delay = mailpit_delay
        self._mailpit_last: dict[str, float] = {}

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def sent(self) -> int:
        """Deliveries that succeeded since the start."""
        return self.attempts.sent

    def start(self) -> None:
        self._reload()
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
        self.pacer.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.attempts.close()
        await self._client.aclose()

    async def idle(self) -> None:
        """Return once every attempt started so far has finished and is recorded (tests)."""
        while self._tasks or self.attempts.busy:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
            await self.attempts.idle()

    def _reload(self) -> None:
        # A dict that is updated in place: `Attempts` reads endpoints through its `get`.
        found = {e.id: e for e in self._store.webhooks.endpoints()}
        self._endpoints.clear()
        self._endpoints.update(found)

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
        self._reload()
        if endpoint_format == "sns":
            self._spawn(self._confirm_subscription(endpoint))
        return endpoint

    def endpoints(self) -> list[Endpoint]:
        return list(self._endpoints.values())

    async def unregister(self, webhook_id: str) -> bool:
        removed = await self._store.webhooks.remove(webhook_id)
        self._reload()
        return removed

    async def confirmed(self, token: str) -> Endpoint | None:
        """An SNS receiver visited its SubscribeURL: start (and release) its deliveries."""
        endpoint = next(
            (e for e in self._endpoints.values() if e.format == "sns" and e.secret == token),
            None,
        )
        if endpoint is None:
            return None
        await self._store.webhooks.confirm(endpoint.id)
        self._reload()
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
        for endpoint in self._endpoints.values():
            if endpoint.format in ("mailpit", "auth"):
                continue
            for event in told.events:
                if wants(endpoint, event_names(endpoint.format, event), event.mailbox):
                    wanted.append((endpoint, event))
        if wanted:
            self._spawn(self._create(wanted))

    def _on_stored(self, stored: MessageStored) -> None:
        self.pacer.ingested()
        now = self._clock.now()
        wanted = []
        for endpoint in self._endpoints.values():
            if endpoint.format != "mailpit" or not wants(endpoint, ("new",), stored.mailbox):
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
            e
            for e in self._endpoints.values()
            if e.format == "auth" and wants(e, (event.type,), mailbox="")
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
        made = await self._store.webhooks.create(items, now)
        for delivery, (_, event) in zip(made, wanted, strict=True):
            if delivery.status == "pending":
                self._attempt_soon(delivery, event)

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

    def _attempt_soon(self, delivery: Delivery, event: StoredEvent | None = None) -> None:
        self.attempts.submit(delivery, event)

    def _at(self, when: float, delivery: Delivery) -> None:
        self.attempts.at(when, delivery)

    def _request(
        self,
        endpoint: Endpoint,
        delivery: Delivery,
        event: StoredEvent | None,
        signed_at: float,
    ) -> Request:
        if endpoint.format == "sns" and delivery.event == 0:
            return self.formats.confirmation(endpoint, delivery.created, delivery.message_key)
        if endpoint.format in ("mailpit", "auth"):
            return self.formats.build(endpoint, delivery, None, self._about_of, signed_at)
        if event is None:
            event = self._store.deliveries.by_ids([delivery.event]).get(delivery.event)
        return self.formats.build(endpoint, delivery, event, self._about_of, signed_at)

    def _about_of(self, message_id: str) -> About | None:
        if message_id in self._about:
            self._about.move_to_end(message_id)
            return self._about[message_id]
        found = self._about_lookup(message_id)
        self._about[message_id] = found
        if len(self._about) > CACHE:
            self._about.popitem(last=False)
        return found

    async def _confirm_subscription(self, endpoint: Endpoint) -> None:
        # A delivery like any other (event 0), so it is retried, logged and can be redelivered;
        # its message key is the confirmation's MessageId, kept by every retry as SNS keeps it.
        key = self.formats.message_key(endpoint, self._clock.now(), self._rng)
        (delivery,) = await self._store.webhooks.create(
            [(endpoint.id, 0, key, "pending")], self._clock.now()
        )
        self._attempt_soon(delivery)
