"""The group-committing writer: shared commits, isolated failures, nothing settled before COMMIT."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from mailyard.sandbox.errors import StorageFullError, StoreError
from mailyard.sandbox.events import Event, MessagesUpdated
from mailyard.sandbox.store.writer import Tx, Writer


def _connect(path: Path, max_pages: int | None = None) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE IF NOT EXISTS t (v TEXT NOT NULL)")
    if max_pages:
        conn.execute(f"PRAGMA max_page_count = {max_pages}")
    return conn


def _count(path: Path) -> int:
    return int(sqlite3.connect(path).execute("SELECT count(*) FROM t").fetchone()[0])


def _insert(tx: Tx, i: int) -> int:
    tx.emit(MessagesUpdated((str(i),)))
    return int(tx.execute("INSERT INTO t VALUES (?)", (str(i),)).lastrowid or 0)


def test_jobs_queued_in_one_loop_iteration_share_one_commit(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    published: list[Event] = []
    writer = Writer(lambda: _connect(db), publish=published.append)
    writer.start()

    async def go() -> list[object]:
        return await asyncio.gather(
            *(writer.run(lambda tx, i=i: _insert(tx, i)) for i in range(200))
        )

    results = asyncio.run(go())
    writer.stop()
    assert writer.commits == 1
    assert results == list(range(1, 201))
    assert published == [MessagesUpdated((str(i),)) for i in range(200)]
    assert _count(db) == 200


def test_events_of_a_failed_job_are_never_published(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    published: list[Event] = []
    writer = Writer(lambda: _connect(db), publish=published.append)
    writer.start()

    def fails(tx: Tx) -> None:
        tx.emit(MessagesUpdated(("lost",)))
        raise ValueError("boom")

    async def go() -> list[object]:
        jobs = [writer.run(lambda tx: _insert(tx, 1)), writer.run(fails)]
        return await asyncio.gather(*jobs, return_exceptions=True)

    ok, failed = asyncio.run(go())
    writer.stop()
    assert ok == 1 and isinstance(failed, ValueError)
    assert published == [MessagesUpdated(("1",))]
    assert writer.errors == 0  # a job's own error is not the store failing


def test_results_are_settled_only_after_commit(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    writer = Writer(lambda: _connect(db))
    writer.start()
    observed: list[int] = []

    async def go() -> None:
        await writer.run(lambda tx: tx.execute("INSERT INTO t VALUES ('x')"))
        observed.append(_count(db))  # another connection sees the row: it was committed

    asyncio.run(go())
    writer.stop()
    assert observed == [1]


def test_a_failing_job_is_rolled_back_alone(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    writer = Writer(lambda: _connect(db))
    writer.start()

    def bad(tx: Tx) -> None:
        tx.execute("INSERT INTO t VALUES ('undone')")
        raise ValueError("boom")

    async def go() -> list[object]:
        return await asyncio.gather(
            writer.run(lambda tx: tx.execute("INSERT INTO t VALUES ('kept')")),
            writer.run(bad),
            writer.run(lambda tx: tx.execute("INSERT INTO t VALUES ('kept too')")),
            return_exceptions=True,
        )

    outcomes = asyncio.run(go())
    writer.stop()
    assert isinstance(outcomes[1], ValueError) and writer.commits == 1
    rows = sqlite3.connect(db).execute("SELECT v FROM t ORDER BY rowid").fetchall()
    assert rows == [("kept",), ("kept too",)]


def test_disk_full_refuses_what_does_not_fit_and_acknowledges_only_what_is_stored(
    tmp_path: Path,
) -> None:
    db = tmp_path / "w.db"
    writer = Writer(lambda: _connect(db, max_pages=8))
    writer.start()
    big = "x" * 3000

    async def fill() -> list[object]:
        jobs = [
            writer.run(lambda tx: tx.execute("INSERT INTO t VALUES (?)", (big,))) for _ in range(20)
        ]
        return await asyncio.gather(*jobs, return_exceptions=True)

    outcomes = asyncio.run(fill())
    # One group, and the page limit hit inside it (which rolls the whole transaction back):
    # the jobs are then committed one by one, so what fits is stored and acknowledged, and
    # nothing refused is.
    refused = [o for o in outcomes if isinstance(o, StorageFullError)]
    assert refused and len(refused) < len(outcomes)
    assert all(isinstance(o, sqlite3.Cursor) for o in outcomes if o not in refused)
    assert _count(db) == len(outcomes) - len(refused)
    # /metrics counts each refused job once, though each took several attempts to tell.
    assert writer.errors == len(refused)
    writer.call(lambda tx: tx.execute("DELETE FROM t"))  # a delete goes through
    writer.call(lambda tx: tx.execute("INSERT INTO t VALUES ('fits')"))
    writer.stop()
    assert _count(db) == 1


def test_a_stopped_writer_refuses_work(tmp_path: Path) -> None:
    writer = Writer(lambda: _connect(tmp_path / "w.db"))
    writer.start()
    writer.stop()
    with pytest.raises(StoreError):
        writer.call(lambda tx: None)
