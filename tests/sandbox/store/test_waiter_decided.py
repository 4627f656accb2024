"""A waiter whose query is decided by its needles (`to:`, `addressed:`, `subject:`) answers with
the first new message holding them, read back by its seq: no search runs (counted in SQL), and
the answer is the one the search gives."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailyard.sandbox import Bus, Envelope, Store, Stored, Waiters
from mailyard.sandbox.store.waiters import _decided_by_needles


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[Store, Waiters, list[str]]]:
    bus = Bus()
    with Store(str(tmp_path / "d.db"), publish=bus.publish) as s:
        waiters = Waiters(
            bus, lambda a, q, m, tz: s.messages.first_after(after=a, query=q, mailbox=m, tz=tz)
        )
        statements: list[str] = []

        def traced(sql: str) -> None:
            if not sql.startswith("--"):
                statements.append(sql)

        s.reader().set_trace_callback(traced)
        yield s, waiters, statements
        waiters.close()


def _mail(to: str, subject: str) -> bytes:
    return f"From: app@example.com\r\nTo: {to}\r\nSubject: {subject}\r\n\r\nhi\r\n".encode()


async def _ingest(
    s: Store, to: str, subject: str = "Reset your password", box: str = "default"
) -> Stored:
    return await s.messages.ingest(_mail(to, subject), Envelope("app@example.com", (to,), box))


@pytest.mark.parametrize(
    ("query", "decided"),
    [
        ("to:jane@example.test", True),
        ("addressed:jane+abc@example.test", True),
        ('addressed:jane@example.test subject:"reset your password"', True),
        ("subject:reset from:app@example.com cc:x", True),
        ("", False),
        ("reset", False),  # free text: the database's
        ('"reset your password"', False),
        ("to:jane@example.test -subject:reset", False),
        ("to:jane@example.test is:unread", False),
        ("to:jane@example.test before:2030-01-01", False),
        ("to:jane@example.test mailbox:ci", False),
        ("to:jane@example.test has:attachment", False),
    ],
)
def test_which_queries_the_needles_decide(query: str, decided: bool) -> None:
    assert _decided_by_needles(query) is decided


async def test_a_decided_waiter_is_answered_without_a_search(
    store: tuple[Store, Waiters, list[str]],
) -> None:
    s, waiters, statements = store
    for i in range(20):  # a vocabulary to search, as a long CI run has
        await _ingest(s, f"other{i}@example.test")
    cursor = s.messages.cursor()
    queries = [
        "addressed:jane+t1@example.test",
        'to:jane+t1@example.test subject:"your password"',
        "jane+t1",  # free text: searched, and the same answer
    ]
    tasks = [asyncio.create_task(waiters.wait(cursor, q, None, 30)) for q in queries]
    await asyncio.sleep(0)
    statements.clear()
    await _ingest(s, "bob+t1@example.test")  # holds "t1" but not the address: no answer
    stored = await _ingest(s, "jane+t1@example.test")
    found = await asyncio.wait_for(asyncio.gather(*tasks), 10)
    assert [f.id if f else None for f in found] == [stored.id] * 3
    vocabulary = [sql for sql in statements if "search_vocab" in sql]
    assert len(vocabulary) == 1  # the free-text waiter's search only
    assert waiters.confirmations == 3


async def test_the_first_of_several_in_one_commit_is_the_answer(
    store: tuple[Store, Waiters, list[str]],
) -> None:
    s, waiters, _ = store
    waiter = asyncio.create_task(waiters.wait(s.messages.cursor(), "to:jane@x.test", None, 30))
    await asyncio.sleep(0)
    first, second = await asyncio.gather(_ingest(s, "jane@x.test"), _ingest(s, "jane@x.test"))
    assert first.seq < second.seq
    found = await asyncio.wait_for(waiter, 10)
    assert found is not None and found.id == first.id


async def test_a_candidate_deleted_before_the_answer_leaves_the_waiter_waiting(
    store: tuple[Store, Waiters, list[str]],
) -> None:
    s, waiters, _ = store
    waiter = asyncio.create_task(waiters.wait(s.messages.cursor(), "to:jane@x.test", None, 30))
    await asyncio.sleep(0)
    # One commit: jane's mail, its mailbox emptied, then bob's mail in another mailbox (the
    # next seq: read back by seq it would be taken for jane's).
    await asyncio.gather(
        _ingest(s, "jane@x.test", box="gone"),
        s.messages.delete(mailbox="gone"),
        _ingest(s, "bob@x.test", box="kept"),
    )
    for _ in range(3):  # the confirmation runs in the loop iteration after the commit
        await asyncio.sleep(0)
    assert not waiter.done()
    later = await _ingest(s, "jane@x.test")
    found = await asyncio.wait_for(waiter, 10)
    assert found is not None and found.id == later.id


async def test_a_waiter_times_out_with_none_and_leaves_no_trace(
    store: tuple[Store, Waiters, list[str]],
) -> None:
    s, waiters, _ = store
    assert await waiters.wait(s.messages.cursor(), "to:nobody@x.test", None, 0.01) is None
    assert len(waiters) == 0
