"""The dispatcher over a real store, the simulator and real HTTP receivers on 127.0.0.1, on a
frozen clock moved by the test: what a retry re-sends, what time a signature carries, an SNS
SubscriptionConfirmation handled like any delivery (retried, logged, redeliverable), a hanging
endpoint held to its own lane and deadline, a delivery cut short by a stop made at the next
start (at least once), and a redelivery superseding the retry that was scheduled."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from support.receivers import Received, Receiver

from mailyard.sandbox import About, Bus, Clock, Envelope, Store, view_message
from mailyard.sandbox.auth.events import UserCreated
from mailyard.sandbox.errors import NotFoundError
from mailyard.sandbox.simulate.simulator import Simulator
from mailyard.sandbox.webhooks.dispatcher import Dispatcher
from mailyard.sandbox.webhooks.formats import CERT_PATH, Formats
from mailyard.sandbox.webhooks.sns_signing import SigningKey
from mailyard.senders.webhook import WebhookClient

BASE = "http://127.0.0.1:8025"
START = 1_767_225_600.0  # the frozen clock's start


@dataclass
class Running:
    store: Store
    clock: Clock
    bus: Bus
    dispatcher: Dispatcher
    simulator: Simulator
    key: SigningKey

    async def settle(self) -> None:
        """Every event decided and every attempt started so far finished."""
        await self.simulator.idle()
        await self.dispatcher.idle()

    async def send(self, to: str, *, settle: bool = True) -> None:
        raw = f"From: app@example.com\r\nTo: {to}\r\nSubject: hi\r\n\r\nhello\r\n".encode()
        await self.store.messages.ingest(raw, Envelope("app@example.com", (to,)))
        if settle:
            await self.settle()
        else:
            await self.simulator.idle()  # the events decided; their deliveries may hang


def start_dispatcher(
    store: Store, bus: Bus, clock: Clock, key: SigningKey, **options: Any
) -> Dispatcher:
    def about(message_id: str) -> About | None:
        try:
            record = store.messages.get(message_id)
        except NotFoundError:
            return None
        return About.of(record, view_message(store.messages.raw(record.summary.seq)))

    dispatcher = Dispatcher(
        store,
        bus,
        clock,
        WebhookClient(),
        Formats(lambda: key, lambda: BASE),
        about,
        rng=random.Random(3),
        **({"timeout": 10.0} | options),
    )
    dispatcher.start()
    return dispatcher


@asynccontextmanager
async def running_with(folder: Path, **options: Any) -> AsyncIterator[Running]:
    """A store, the simulator and a dispatcher (`options`: the dispatcher's) on a frozen clock."""
    clock, bus = Clock.frozen(START), Bus()
    key = SigningKey.generate(START, 7)
    with Store(str(folder / "w.db"), clock=clock, publish=bus.publish) as store:
        simulator = Simulator(store, bus, clock, ingest=store.messages.ingest)
        simulator.start()
        dispatcher = start_dispatcher(store, bus, clock, key, **options)
        running = Running(store, clock, bus, dispatcher, simulator, key)
        try:
            yield running
        finally:
            await running.dispatcher.close()  # the one in place at the end
            await simulator.close()


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    async with running_with(tmp_path) as started:
        yield started


async def until(condition: Callable[[], bool], timeout: float = 30) -> None:
    """Let the loop run until `condition()` holds; bounded (the dispatcher runs on this loop,
    so a test waits here, not in a receiver's blocking `wait`)."""

    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.005)

    await asyncio.wait_for(poll(), timeout)


async def test_a_retried_auth_event_sends_its_payload_again(running: Running) -> None:
    with Receiver(answers=[500]) as hook:
        await running.dispatcher.register(hook.url, "auth", secret="whsec_" + "A" * 32)
        running.bus.publish(UserCreated(START, "u1", "jane@example.com", "Jane", None, "signup"))
        await running.settle()
        running.clock.advance(5)  # Standard Webhooks suggest Svix's schedule: 5 s first
        await running.settle()
    first, second = hook.requests
    assert hook.statuses == [500, 200]
    assert json.loads(second.body)["data"]["email"] == "jane@example.com"
    assert second.body == first.body
    assert second.headers["webhook-id"] == first.headers["webhook-id"]


async def test_signatures_carry_the_real_time_not_the_moved_clock(running: Running) -> None:
    with Receiver() as hook:
        await running.dispatcher.register(hook.url, "resend", events=("email.delivered",))
        running.clock.advance(7200)  # a test moved mailyard's clock two hours on
        await running.send("delivered@resend.dev")
    (request,) = hook.requests
    # The payload tells the simulated time; the signature the time it was really sent, which
    # a receiver compares with its own clock (a frozen clock's real time stands at its start).
    assert json.loads(request.body)["created_at"].startswith("2026-01-01T02:00:00")
    assert request.headers["svix-timestamp"] == str(int(START))


async def test_an_sns_confirmation_is_retried_logged_and_redeliverable(
    running: Running, sns_verify: ModuleType
) -> None:
    cert_url = BASE + CERT_PATH
    with Receiver(answers=[500]) as hook:
        endpoint = await running.dispatcher.register(hook.url, "sns")
        await running.settle()
        running.clock.advance(20)  # SNS's default policy: 20 s between retries
        await running.settle()
        ((delivery, attempts),) = running.store.webhooks.deliveries(endpoint.id)
        again = await running.dispatcher.redeliver(delivery.id)
        await running.settle()
    assert again is not None and again.id == delivery.id
    assert hook.statuses == [500, 200, 200]
    assert [a.status_code for a in attempts] == [500, 200]
    messages = [r.json() for r in hook.requests]
    for message in messages:
        sns_verify.verify(message, lambda url: running.key.cert_pem, now=START, trusted={cert_url})
    assert {m["Type"] for m in messages} == {"SubscriptionConfirmation"}
    assert len({m["MessageId"] for m in messages}) == 1  # a retry keeps its MessageId
    assert {m["MessageId"] for m in messages} == {delivery.message_key}
    assert {m["Token"] for m in messages} == {endpoint.secret}
    assert hook.requests[0].headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"


async def test_a_hanging_endpoint_holds_its_own_lane_and_nobody_elses(tmp_path: Path) -> None:
    async with running_with(tmp_path, per_endpoint=2, timeout=60) as running:
        with Receiver(hang=True) as stuck, Receiver() as healthy:
            hanging = await running.dispatcher.register(
                stuck.url, "resend", events=("email.delivered",)
            )
            fine = await running.dispatcher.register(
                healthy.url, "resend", events=("email.delivered",)
            )
            for i in range(6):
                await running.send(f"delivered+{i}@resend.dev", settle=False)
            # The stuck endpoint gets two attempts (its lane's width) and they hang; its other
            # four deliveries wait their turn in its lane, unattempted, not in anyone else's.
            await until(
                lambda: (
                    len(healthy.requests) == 6
                    and all(
                        d.status == "succeeded" for d, _ in running.store.webhooks.recent(fine.id)
                    )
                    and len(stuck.requests) >= 2
                )
            )
            assert len(stuck.requests) == 2 and stuck.statuses == []
            made = running.store.webhooks.recent(hanging.id)
            assert len(made) == 6 and all(d.status == "pending" and not a for d, a in made)
            assert len(running.store.webhooks.recent(fine.id)) == 6
            await running.dispatcher.close()  # ends the hanging attempts, closing their sockets
            assert running.dispatcher.attempts.busy is False
    assert healthy.statuses == [200] * 6


async def test_a_hanging_attempt_ends_at_its_deadline_and_is_retried_on_schedule(
    tmp_path: Path,
) -> None:
    async with running_with(tmp_path, timeout=0.3) as running:
        with Receiver(hang=True) as stuck:
            endpoint = await running.dispatcher.register(
                stuck.url, "resend", events=("email.delivered",)
            )
            await running.send("delivered@resend.dev")  # settles: the attempt is over
            ((first, tried),) = running.store.webhooks.recent(endpoint.id)
            running.clock.advance(5)  # Svix's first retry
            await running.settle()
            ((second, retried),) = running.store.webhooks.recent(endpoint.id)
            assert len(stuck.requests) == 2
            assert not running.dispatcher.attempts.busy
    (attempt,) = tried
    assert (first.status, first.attempts, first.next_attempt) == ("pending", 1, START + 5)
    assert (attempt.status_code, attempt.error) == (None, "no answer within 0.3 s")
    assert (second.status, second.attempts, second.next_attempt) == ("pending", 2, START + 305)
    assert [a.error for a in retried] == ["no answer within 0.3 s"] * 2


async def test_a_delivery_cut_short_by_a_stop_is_made_at_the_next_start(tmp_path: Path) -> None:
    answers: list[int | None] = [None]  # the first request hangs until the stop; then 200

    def answer(request: Received) -> int | None:
        return answers.pop(0) if answers else 200

    async with running_with(tmp_path) as running:
        with Receiver(handler=answer) as hook:
            endpoint = await running.dispatcher.register(
                hook.url, "resend", events=("email.delivered",)
            )
            await running.send("delivered@resend.dev", settle=False)
            await until(lambda: len(hook.requests) == 1)
            await running.dispatcher.close()  # mid-attempt: nothing was recorded
            ((cut, tried),) = running.store.webhooks.recent(endpoint.id)
            running.dispatcher = start_dispatcher(
                running.store, running.bus, running.clock, running.key
            )
            await until(lambda: len(hook.requests) == 2)
            await running.dispatcher.idle()
            ((made, attempts),) = running.store.webhooks.recent(endpoint.id)
    assert (cut.status, cut.attempts, tried) == ("pending", 0, [])
    assert (made.status, [a.status_code for a in attempts]) == ("succeeded", [200])
    first, again = hook.requests
    assert again.headers["svix-id"] == first.headers["svix-id"] == made.message_key
    assert again.body == first.body


async def test_a_redelivery_supersedes_the_scheduled_retry(running: Running) -> None:
    with Receiver(answers=[500]) as hook:
        endpoint = await running.dispatcher.register(
            hook.url, "resend", events=("email.delivered",)
        )
        await running.send("delivered@resend.dev")
        ((failed, _),) = running.store.webhooks.recent(endpoint.id)
        assert (failed.status, failed.next_attempt) == ("pending", START + 5)
        await running.dispatcher.redeliver(failed.id)
        await running.settle()
        running.clock.advance(3600)  # past the retry the failure had scheduled
        await running.settle()
        ((done, attempts),) = running.store.webhooks.recent(endpoint.id)
    assert hook.statuses == [500, 200]
    assert (done.status, [a.status_code for a in attempts]) == ("succeeded", [500, 200])
