"""The group-committing writer: shared commits, isolated failures, nothing resolved before COMMIT."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from sandbox.errors import StorageFullError
from sandbox.writer import Writer


def _connect(path: Path, max_pages: int | None = None) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE IF NOT EXISTS t (v TEXT NOT NULL)")
    if max_pages:
        conn.execute(f"PRAGMA max_page_count = {max_pages}")
    return conn


def test_concurrent_jobs_share_commits(tmp_path: Path) -> None:
    writer = Writer(lambda: _connect(tmp_path / "w.db"))
    writer.start()
    gate = threading.Event()
    # Block the writer in a first job so the rest queue up behind it and commit together.
    first = writer.submit(lambda conn: gate.wait(5))
    futures = [
        writer.submit(lambda conn, i=i: conn.execute("INSERT INTO t VALUES (?)", (str(i),)))
        for i in range(200)
    ]
    gate.set()
    first.result(5)
    for f in futures:
        f.result(5)
    writer.stop()
    assert writer.commits <= 3  # 201 jobs, at most a few transactions
    check = sqlite3.connect(tmp_path / "w.db")
    assert check.execute("SELECT count(*) FROM t").fetchone()[0] == 200


def test_a_failing_job_is_rolled_back_alone(tmp_path: Path) -> None:
    writer = Writer(lambda: _connect(tmp_path / "w.db"))
    writer.start()
    gate = threading.Event()
    writer.submit(lambda conn: gate.wait(5))
    ok = writer.submit(lambda conn: conn.execute("INSERT INTO t VALUES ('kept')"))

    def bad(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO t VALUES ('undone')")
        raise ValueError("boom")

    failing = writer.submit(bad)
    gate.set()
    ok.result(5)
    with pytest.raises(ValueError):
        failing.result(5)
    writer.stop()
    rows = sqlite3.connect(tmp_path / "w.db").execute("SELECT v FROM t").fetchall()
    assert rows == [("kept",)]


def test_disk_full_fails_the_whole_group_and_the_writer_recovers(tmp_path: Path) -> None:
    writer = Writer(lambda: _connect(tmp_path / "w.db", max_pages=8))
    writer.start()
    big = "x" * 3000
    errors = 0
    for _ in range(20):
        try:
            writer.call(lambda conn: conn.execute("INSERT INTO t VALUES (?)", (big,)))
        except StorageFullError:
            errors += 1
    assert errors > 0
    writer.call(lambda conn: conn.execute("DELETE FROM t"))
    writer.call(lambda conn: conn.execute("INSERT INTO t VALUES ('fits again')"))
    writer.stop()
