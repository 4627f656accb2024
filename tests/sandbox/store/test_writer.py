"""The group-committing writer: shared commits, isolated failures, nothing settled before COMMIT."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from mailyard.sandbox.errors import StorageFullError, StoreError
from mailyard.sandbox.store.writer import Writer


def _connect(path: Path, max_pages: int | None = None) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE IF NOT EXISTS t (v TEXT NOT NULL)")
    if max_pages:
        conn.execute(f"PRAGMA max_page_count = {max_pages}")
    return conn


def _count(path: Path) -> int:
    return int(sqlite3.connect(path).execute("SELECT count(*) FROM t").fetchone()[0])


def test_jobs_queued_in_one_loop_iteration_share_one_commit(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    seen_by_hook: list[list[object]] = []
    writer = Writer(lambda: _connect(db), after_commit=seen_by_hook.append)
    writer.start()

    async def go() -> list[object]:
        jobs = [
            writer.run(
                lambda conn, i=i: conn.execute("INSERT INTO t VALUES (?)", (str(i),)).lastrowid
            )
            for i in range(200)
        ]
        return await asyncio.gather(*jobs)

    results = asyncio.run(go())
    writer.stop()
    assert writer.commits == 1
    assert results == list(range(1, 201))
    assert seen_by_hook == [results]
    assert _count(db) == 200


def test_results_are_settled_only_after_commit(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    writer = Writer(lambda: _connect(db))
    writer.start()
    observed: list[int] = []

    async def go() -> None:
        await writer.run(lambda conn: conn.execute("INSERT INTO t VALUES ('x')"))
        observed.append(_count(db))  # another connection sees the row: it was committed

    asyncio.run(go())
    writer.stop()
    assert observed == [1]


def test_a_failing_job_is_rolled_back_alone(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    writer = Writer(lambda: _connect(db))
    writer.start()

    def bad(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO t VALUES ('undone')")
        raise ValueError("boom")

    async def go() -> list[object]:
        return await asyncio.gather(
            writer.run(lambda conn: conn.execute("INSERT INTO t VALUES ('kept')")),
            writer.run(bad),
            writer.run(lambda conn: conn.execute("INSERT INTO t VALUES ('kept too')")),
            return_exceptions=True,
        )

    outcomes = asyncio.run(go())
    writer.stop()
    assert isinstance(outcomes[1], ValueError) and writer.commits == 1
    rows = sqlite3.connect(db).execute("SELECT v FROM t ORDER BY rowid").fetchall()
    assert rows == [("kept",), ("kept too",)]


def test_disk_full_fails_the_whole_group_and_the_writer_recovers(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    writer = Writer(lambda: _connect(db, max_pages=8))
    writer.start()
    big = "x" * 3000

    async def fill() -> list[object]:
        jobs = [
            writer.run(lambda conn: conn.execute("INSERT INTO t VALUES (?)", (big,)))
            for _ in range(20)
        ]
        return await asyncio.gather(*jobs, return_exceptions=True)

    outcomes = asyncio.run(fill())
    # One group, and the page limit hit inside it: nothing of it may be acknowledged.
    assert all(isinstance(o, StorageFullError) for o in outcomes)
    assert _count(db) == 0
    writer.call(lambda conn: conn.execute("INSERT INTO t VALUES ('fits')"))
    writer.stop()
    assert _count(db) == 1


def test_a_stopped_writer_refuses_work(tmp_path: Path) -> None:
    writer = Writer(lambda: _connect(tmp_path / "w.db"))
    writer.start()
    writer.stop()
    with pytest.raises(StoreError):
        writer.call(lambda conn: None)
