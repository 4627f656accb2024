"""The lookups the inbox makes for a whole page at once: where each recipient's mail stands
(opens and clicks aside), events by id, and a webhook's newest deliveries with their attempts —
each a fixed number of queries, whatever the page's size."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailyard.sandbox import Endpoint, Engagement, Kind, Step, Store
from mailyard.sandbox.simulate.outcomes import Bounce, Delivery, Outcome
from mailyard.sandbox.store.event_records import Planned
from mailyard.sandbox.store.webhooks import Attempt

SEND = Step(0.0, Kind.SEND)
DELIVERED = Outcome("deliver", (SEND, Step(0.0, Kind.DELIVERY, Delivery())))
BOUNCED = Outcome("bounce", (SEND, Step(0.0, Kind.BOUNCE, Bounce())))
LATER = Outcome("delay", (SEND, Step(0.0, Kind.DELIVERY_DELAY), Step(60.0, Kind.DELIVERY)))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(str(tmp_path / "lookups.db")) as opened:
        yield opened


class Statements:
    """Counts the statements run on the store's read connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.run: list[str] = []
        conn.set_trace_callback(self.run.append)


async def _plan(store: Store, seq: int, *plans: tuple[str, Outcome]) -> None:
    await store.deliveries.record([Planned(seq, f"m{seq}", "box", 100.0, plans)], now=100.0)


async def test_an_open_or_a_click_does_not_hide_where_the_mail_stands(store: Store) -> None:
    await _plan(store, 1, ("a@example.com", DELIVERED), ("B@Example.com", BOUNCED))
    await _plan(store, 2, ("c@example.com", LATER))
    opened = Step(0.0, Kind.OPEN, Engagement())
    await store.deliveries.add_event(1, "m1", "box", opened, ("a@example.com",), 101.0)
    clicked = Step(0.0, Kind.CLICK, Engagement(link="https://x.example/"))
    await store.deliveries.add_event(1, "m1", "box", clicked, ("B@Example.com",), 102.0)

    assert store.deliveries.last_events([1])[1] == [
        ("a@example.com", Kind.OPEN),
        ("B@Example.com", Kind.CLICK),
    ]
    assert store.deliveries.last_outcomes([1, 2, 3]) == {
        1: [("a@example.com", Kind.DELIVERY), ("B@Example.com", Kind.BOUNCE)],
        2: [("c@example.com", Kind.DELIVERY_DELAY)],
    }
    assert store.deliveries.last_outcomes([]) == {}


async def test_a_page_of_outcomes_costs_two_queries_whatever_its_size(store: Store) -> None:
    opened = Step(0.0, Kind.OPEN, Engagement())
    for seq in range(1, 201):
        await _plan(store, seq, (f"r{seq}@example.com", DELIVERED))
        if seq % 2:
            await store.deliveries.add_event(
                seq, f"m{seq}", "box", opened, (f"r{seq}@example.com",), 101.0
            )
    counts = []
    for size in (5, 200):
        seen = Statements(store.reader())
        found = store.deliveries.last_outcomes(list(range(1, size + 1)))
        store.reader().set_trace_callback(None)
        assert all(rows == [(rows[0][0], Kind.DELIVERY)] for rows in found.values())
        counts.append(len(seen.run))
    assert counts == [2, 2]


async def test_a_messages_events_in_the_order_they_happen(store: Store) -> None:
    await _plan(store, 3, ("c@example.com", LATER))
    opened = Step(0.0, Kind.OPEN, Engagement())
    await store.deliveries.add_event(3, "m3", "box", opened, ("c@example.com",), 110.0)
    found = store.deliveries.of_message(3)
    assert [(e.kind, e.due, e.occurred) for e in found] == [
        (Kind.SEND, 100.0, True),
        (Kind.DELIVERY_DELAY, 100.0, True),
        (Kind.OPEN, 110.0, True),  # stored after the delivery was planned, but happened first
        (Kind.DELIVERY, 160.0, False),
    ]
    assert [e.kind for e in store.deliveries.of_message(3, limit=2)] == [
        Kind.SEND,
        Kind.DELIVERY_DELAY,
    ]


async def test_events_by_id(store: Store) -> None:
    await _plan(store, 7, ("a@example.com", BOUNCED))
    events = store.deliveries.events(message_id="m7")
    found = store.deliveries.by_ids([e.id for e in events] + [999_999])
    assert sorted(found) == [e.id for e in events]
    assert found[events[-1].id].kind is Kind.BOUNCE
    assert store.deliveries.by_ids([]) == {}


async def test_a_webhooks_newest_deliveries_with_their_attempts(store: Store) -> None:
    endpoint = Endpoint("wh_1", "http://127.0.0.1:9/", "resend", "", (), None, True, 1.0, True)
    await store.webhooks.add(endpoint)
    made = await store.webhooks.create([("wh_1", n, f"k{n}", "pending") for n in range(5)], 10.0)
    for n, delivery in enumerate(made[:3]):
        for tried in range(n + 1):
            attempt = Attempt(20.0 + tried, 500 if tried < n else 200, 3.0, f"try {tried}", None)
            await store.webhooks.attempted(delivery, attempt, "pending", 30.0)
    seen = Statements(store.reader())
    recent = store.webhooks.recent("wh_1", limit=4)
    store.reader().set_trace_callback(None)
    assert len(seen.run) == 2
    assert [d.id for d, _ in recent] == [m.id for m in reversed(made[1:])]
    attempts = dict((d.id, a) for d, a in recent)
    assert [a.response for a in attempts[made[2].id]] == ["try 0", "try 1", "try 2"]
    assert [a.status_code for a in attempts[made[2].id]] == [500, 500, 200]
    assert attempts[made[4].id] == []
