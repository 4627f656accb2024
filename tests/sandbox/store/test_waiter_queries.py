"""A commit re-runs the query of no waiter whose filter cannot match it (counted in SQL)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailyard.sandbox import Bus, Envelope, Store, Waiters


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[Store, Waiters, list[str]]]:
    bus = Bus()
    with Store(str(tmp_path / "q.db"), publish=bus.publish) as s:
        waiters = Waiters(
            bus, lambda a, q, m, tz: s.messages.first_after(after=a, query=q, mailbox=m, tz=tz)
        )
        statements: list[str] = []

        def traced(sql: str) -> None:  # the reader's own statements, not SQLite's nested ones
            if not sql.startswith("--"):
                statements.append(sql)

        s.reader().set_trace_callback(traced)
        yield s, waiters, statements
        waiters.close()


def _order(i: int) -> bytes:
    return (
        f"From: Shop <orders@shop.example>\r\nTo: customer{i}@example.com\r\n"
        f"Subject: Your order #{i} is confirmed\r\n\r\nThank you for your order.\r\n"
    ).encode()


async def _ingest(store: Store, i: int) -> None:
    await store.messages.ingest(_order(i), Envelope("orders@shop.example", (f"c{i}@x.test",)))


async def test_mail_nobody_waits_for_runs_no_waiter_query(
    store: tuple[Store, Waiters, list[str]],
) -> None:
    s, waiters, statements = store
    cursor = s.messages.cursor()
    # What a CI with many parallel jobs holds open: each job's own recipient (with or without
    # a subject), each job's own mailbox, a body phrase.
    queries = [(f"to:job-{i}@ci.example", None) for i in range(200)]
    queries += [(f'to:job-{i}@ci.example subject:"reset your password"', None) for i in range(50)]
    queries += [("", f"ci-{i}") for i in range(50)]
    queries += [(f'"verification code {i}"', None) for i in range(20)]
    queries += [(f"addressed:job-{i}@ci.example", None) for i in range(50)]
    tasks = [asyncio.create_task(waiters.wait(cursor, q, m, 30)) for q, m in queries]
    await asyncio.sleep(0)
    assert len(waiters) == len(queries)
    statements.clear()
    for i in range(30):
        await _ingest(s, i)
    await asyncio.sleep(0)  # a confirmation would run in the loop iteration after the commit
    assert statements == []  # 370 waiters x 30 commits, and not one query ran
    # Only the free-text phrases (not indexed: the body is long) were looked at in memory;
    # the address waiters, `addressed:` included, were skipped by their index.
    assert waiters.examined == 20 * 30

    # Waiters that can match are asked once each per commit, not every waiter.
    matching = [
        asyncio.create_task(waiters.wait(s.messages.cursor(), q, None, 30))
        for q in (
            "",
            "",
            "subject:confirmed",
            "to:customer30@example.com",
            "addressed:customer30@example",
        )
    ]
    await asyncio.sleep(0)
    statements.clear()
    await _ingest(s, 30)
    found = await asyncio.wait_for(asyncio.gather(*matching), 10)
    assert [f.subject for f in found if f is not None] == ["Your order #30 is confirmed"] * 5
    # One search each (a search may first look a term up in the vocabulary: a second statement).
    assert sum(1 for sql in statements if sql.startswith("SELECT m.seq")) == 5
    assert len(statements) <= 10
    assert not any(t.done() for t in tasks)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert len(waiters) == 0
