"""Long polls for new mail: woken by the mail that can match them, and only that."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailyard.sandbox import Bus, Envelope, Store, Waiters


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[Store, Waiters]]:
    bus = Bus()
    with Store(str(tmp_path / "w.db"), publish=bus.publish) as s:
        waiters = Waiters(
            bus, lambda a, q, m, tz: s.messages.first_after(after=a, query=q, mailbox=m, tz=tz)
        )
        yield s, waiters
        waiters.close()


def _mail(to: str, subject: str) -> bytes:
    return f"From: app@example.com\r\nTo: {to}\r\nSubject: {subject}\r\n\r\nhello\r\n".encode()


async def _ingest(store: Store, to: str, subject: str, mailbox: str = "default") -> None:
    await store.messages.ingest(
        _mail(to, subject), Envelope("app@example.com", (to,), mailbox=mailbox)
    )


async def test_a_waiter_gets_the_first_matching_message_after_its_cursor(
    store: tuple[Store, Waiters],
) -> None:
    s, waiters = store
    await _ingest(s, "jane@example.com", "before the wait")
    cursor = s.messages.cursor()
    task = asyncio.create_task(waiters.wait(cursor, "to:jane subject:reset", None, 5))
    await asyncio.sleep(0)  # the waiter is registered
    await _ingest(s, "bob@example.com", "reset your password")
    await _ingest(s, "jane@example.com", "welcome")
    await _ingest(s, "jane@example.com", "reset your password")
    found = await asyncio.wait_for(task, 5)
    assert found is not None and found.subject == "reset your password"
    assert found.to[0].address == "jane@example.com"


async def test_mail_that_cannot_match_never_reaches_the_database(
    store: tuple[Store, Waiters],
) -> None:
    s, waiters = store
    cursor = s.messages.cursor()
    tasks = [
        asyncio.create_task(waiters.wait(cursor, f"to:job{i}@ci.example", None, 5))
        for i in range(300)
    ]
    await asyncio.sleep(0)
    assert len(waiters) == 300
    for i in range(50):
        await _ingest(s, f"someone{i}@elsewhere.example", "noise")
    assert waiters.confirmations == 0  # no waiter's needle was in any of that mail
    assert waiters.examined <= 50  # the index kept 300 waiters from being checked 50 times
    await _ingest(s, "job7@ci.example", "yours")
    done, _ = await asyncio.wait(tasks, timeout=5, return_when=asyncio.FIRST_COMPLETED)
    assert [t.result().to[0].address for t in done] == ["job7@ci.example"]  # type: ignore[union-attr]
    assert waiters.confirmations == 1
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert len(waiters) == 0


async def test_waiters_of_one_mailbox_ignore_another_mailbox(store: tuple[Store, Waiters]) -> None:
    s, waiters = store
    task = asyncio.create_task(waiters.wait(s.messages.cursor(), "", "ci-1", 5))
    await asyncio.sleep(0)
    await _ingest(s, "a@example.com", "for ci-2", mailbox="ci-2")
    assert waiters.confirmations == 0 and not task.done()
    await _ingest(s, "a@example.com", "for ci-1", mailbox="ci-1")
    found = await asyncio.wait_for(task, 5)
    assert found is not None and found.mailbox == "ci-1"


async def test_timeout_and_shutdown_return_none(store: tuple[Store, Waiters]) -> None:
    s, waiters = store
    assert await waiters.wait(s.messages.cursor(), "subject:never", None, 0.01) is None
    task = asyncio.create_task(waiters.wait(s.messages.cursor(), "subject:never", None, 60))
    await asyncio.sleep(0)
    waiters.close()
    assert await asyncio.wait_for(task, 5) is None
