"""The WAL stays under its bound however long ingest goes on (issue 9: it grew without one)."""

from __future__ import annotations

import asyncio
import itertools
import os
import sqlite3
from pathlib import Path

from mailyard.sandbox import Bus, Envelope, MessageStored, Store
from mailyard.sandbox.store.checkpointer import Checkpointer

MB = 1024 * 1024


def _mail(i: int) -> bytes:
    return (
        f"From: Shop <orders@shop.example>\r\nTo: customer{i}@example.com\r\n"
        f"Subject: Your order #{i} is confirmed\r\n\r\n"
        + f"Thank you for order {i}; it ships in two days.\r\n"
        * 30
    ).encode()


async def test_sustained_ingest_keeps_the_wal_under_its_limit(tmp_path: Path) -> None:
    bus = Bus()
    db = tmp_path / "w.db"
    after: dict[int, int] = {}  # commit number -> the WAL's size right after it
    with Store(str(db), publish=bus.publish, wal_limit=MB) as store:
        # Events are published once their commit is done: the size then includes its pages.
        bus.listen(
            lambda _: after.setdefault(store.writer.commits, os.path.getsize(f"{db}-wal")),
            MessageStored,
        )
        for batch in range(150):  # 20 concurrent senders, 3,000 messages
            await asyncio.gather(
                *(
                    store.messages.ingest(_mail(i), Envelope("a@x.test", (f"c{i}@x.test",)))
                    for i in range(batch * 20, batch * 20 + 20)
                )
            )
    sizes = [after[n] for n in sorted(after)]
    grown = [b - a for a, b in itertools.pairwise(sizes) if b > a]
    assert len(sizes) >= 150
    # Unbounded, this load leaves a WAL of tens of MB (every commit appends its pages and no
    # checkpoint ever finished first). Bounded, the WAL is cut back whenever it passes a
    # quarter of the limit, and commits wait at the limit: it passes the limit by one commit's
    # pages at most (an index merge can write 2 MB in one).
    assert max(sizes) <= MB + max(grown)
    assert max(grown) < 4 * MB
    assert sum(grown) > 10 * MB  # the load wrote many times the bound


async def test_a_reader_that_holds_the_wal_makes_commits_wait_at_the_limit(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    wal = f"{db}-wal"
    with Store(str(db), wal_limit=MB) as store:
        await store.messages.ingest(_mail(0), Envelope("a@x.test", ("c@x.test",)))
        # A read transaction left open (as a cursor kept across an await would be): no
        # checkpoint may restart the WAL while it reads its old snapshot.
        reader = sqlite3.connect(db, isolation_level=None)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM messages").fetchone()
        i = 1
        while os.path.getsize(wal) < MB:
            batch = [
                store.messages.ingest(_mail(n), Envelope("a@x.test", (f"c{n}@x.test",)))
                for n in range(i, i + 20)
            ]
            await asyncio.wait_for(asyncio.gather(*batch), 10)
            i += 20
        grown_to = os.path.getsize(wal)
        keeper = store.writer.keeper
        assert isinstance(keeper, Checkpointer)
        restarts = keeper.restarts
        waiting = asyncio.ensure_future(
            store.messages.ingest(_mail(i), Envelope("a@x.test", ("c@x.test",)))
        )
        # Unbounded, it would be committed at once; bounded, it waits for the reader.
        done, _ = await asyncio.wait({waiting}, timeout=0.5)
        assert not done and os.path.getsize(wal) == grown_to
        reader.execute("COMMIT")  # the reader lets go: the WAL restarts, the commit goes on
        stored = await asyncio.wait_for(waiting, 10)
        assert store.messages.get(stored.id).summary.id == stored.id
        assert keeper.restarts > restarts
        assert os.path.getsize(wal) <= Checkpointer.journal_size_limit(MB) + MB // 8
        reader.close()
