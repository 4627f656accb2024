"""The simulator engine over a real store: plans recorded after capture, events on the clock,
suppression, auto-replies, and scheduled events surviving a restart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mailyard.sandbox import Bus, Clock, Envelope, Store
from mailyard.sandbox.simulate.outcomes import Kind
from mailyard.sandbox.simulate.rules import RuleSet
from mailyard.sandbox.simulate.simulator import Rules, Simulator
from mailyard.sandbox.store.event_records import EventsOccurred


class Running:
    def __init__(self, store: Store, simulator: Simulator, clock: Clock, bus: Bus) -> None:
        self.store, self.simulator, self.clock, self.bus = store, simulator, clock, bus
        self.told: list[EventsOccurred] = []
        bus.listen(self.told.append, EventsOccurred)

    async def send(self, *to: str, mailbox: str = "default") -> str:
        raw = (
            f"From: app@example.com\r\nTo: {', '.join(to)}\r\nSubject: hi\r\n"
            "Message-ID: <m1@example.com>\r\n\r\nhello\r\n"
        ).encode()
        stored = await self.store.messages.ingest(
            raw, Envelope("app@example.com", to, mailbox=mailbox)
        )
        await self.simulator.idle()
        return stored.id

    def kinds(self, message_id: str) -> list[tuple[str, tuple[str, ...]]]:
        return [
            (e.kind.value, e.recipients)
            for e in self.store.deliveries.events(message_id=message_id)
        ]


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    clock, bus = Clock.frozen(), Bus()
    with Store(str(tmp_path / "s.db"), clock=clock, publish=bus.publish) as store:
        simulator = Simulator(store, bus, clock, ingest=store.messages.ingest)
        simulator.start()
        yield Running(store, simulator, clock, bus)
        await simulator.close()


async def test_an_ordinary_recipient_is_sent_and_delivered(running: Running) -> None:
    message = await running.send("jane@example.com")
    assert running.kinds(message) == [
        ("send", ("jane@example.com",)),
        ("delivery", ("jane@example.com",)),
    ]
    assert [len(t.events) for t in running.told] == [2]


async def test_ses_simulator_bounces_are_combined_and_never_suppressed(running: Running) -> None:
    message = await running.send(
        "bounce+a@simulator.amazonses.com", "bounce+b@simulator.amazonses.com"
    )
    recipients = ("bounce+a@simulator.amazonses.com", "bounce+b@simulator.amazonses.com")
    assert running.kinds(message) == [("send", recipients), ("bounce", recipients)]
    assert running.store.deliveries.suppressions() == []


async def test_a_delay_happens_when_the_clock_is_moved(running: Running) -> None:
    message = await running.send("delay-1h@sim.mailyard.test")
    assert [k for k, _ in running.kinds(message)] == ["send", "delivery_delay"]
    running.clock.advance(3599)
    await running.simulator.idle()
    assert [k for k, _ in running.kinds(message)] == ["send", "delivery_delay"]
    running.clock.advance(1)
    await running.simulator.idle()
    assert [k for k, _ in running.kinds(message)] == ["send", "delivery_delay", "delivery"]
    (record,) = running.store.deliveries.for_message(
        running.store.messages.get(message).summary.seq
    )
    assert record.last_event is Kind.DELIVERY


async def test_a_hard_bounce_suppresses_the_address_and_the_next_send_is_answered_from_the_list(
    running: Running,
) -> None:
    await running.send("hardbounce-noemail@sim.mailyard.test", mailbox="acct")
    (entry,) = running.store.deliveries.suppressions("acct")
    assert (entry.address, entry.reason) == ("hardbounce-noemail@sim.mailyard.test", "BOUNCE")
    again = await running.send("hardbounce-noemail@sim.mailyard.test", mailbox="acct")
    assert [k for k, _ in running.kinds(again)] == ["send", "suppressed"]
    other_account = await running.send("hardbounce-noemail@sim.mailyard.test", mailbox="other")
    assert [k for k, _ in running.kinds(other_account)] == ["send", "bounce"]


async def test_ooto_sends_an_auto_reply_to_the_return_path_once(running: Running) -> None:
    await running.send("ooto@simulator.amazonses.com")
    replies = running.store.messages.page(query="subject:office").messages
    assert len(replies) == 1
    assert [a.address for a in replies[0].to] == ["app@example.com"]


async def test_a_seeded_rule_decides(running: Running) -> None:
    running.simulator.rules = Rules((RuleSet.parse("*@complain.example: complaint"),))
    message = await running.send("x@complain.example")
    assert [k for k, _ in running.kinds(message)] == ["send", "delivery", "complaint"]
    assert running.store.deliveries.suppression("default", "x@complain.example") is not None


async def test_scheduled_events_survive_a_restart(tmp_path: Path) -> None:
    clock, bus = Clock.frozen(), Bus()
    path = str(tmp_path / "r.db")
    with Store(path, clock=clock, publish=bus.publish) as store:
        simulator = Simulator(store, bus, clock, ingest=store.messages.ingest)
        simulator.start()
        stored = await store.messages.ingest(
            b"To: delay-10m@sim.mailyard.test\r\nSubject: s\r\n\r\nx",
            Envelope("a@x", ("delay-10m@sim.mailyard.test",)),
        )
        await simulator.idle()
        await simulator.close()
    bus = Bus()
    with Store(path, clock=clock, publish=bus.publish) as store:
        simulator = Simulator(store, bus, clock, ingest=store.messages.ingest)
        simulator.start()
        clock.advance(600)
        await simulator.idle()
        kinds = [e.kind.value for e in store.deliveries.events(message_id=stored.id)]
        await simulator.close()
    assert kinds == ["send", "delivery_delay", "delivery"]
