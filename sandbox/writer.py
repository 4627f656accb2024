"""The single writer: every change to the database goes through one thread that commits in groups.

Callers submit jobs (a function of the connection) and await their result. The thread takes
everything queued so far, runs each job inside a savepoint of one transaction, commits once, and
only then resolves the callers' futures: many concurrent SMTP sessions share one commit, and none
is answered before its message is durable. A job that fails is rolled back alone; a commit that
fails fails every job of its group, so nothing is acknowledged that was not written.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from .errors import StorageFullError, StoreError

log = logging.getLogger("mailyard.store")

T = TypeVar("T")
Job = Callable[[sqlite3.Connection], Any]
AfterCommit = Callable[[list[Any]], None]

MAX_GROUP = 1000


@dataclass
class _Item:
    job: Job
    future: Future[Any]


def translate(exc: sqlite3.Error) -> StoreError:
    """Our error for an sqlite3 error: disk full is told apart, the rest is transient."""
    if getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL" or "full" in str(exc):
        return StorageFullError("the database is full")
    return StoreError("the database failed to write")


class Writer:
    """Owns the write connection and its thread."""

    def __init__(
        self, connect: Callable[[], sqlite3.Connection], after_commit: AfterCommit | None = None
    ) -> None:
        self._connect = connect
        self._after_commit = after_commit
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self.commits = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="mailyard-writer", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._startup_error is not None:
            raise self._startup_error

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def submit(self, job: Callable[[sqlite3.Connection], T]) -> Future[T]:
        """Queue `job`; the returned future resolves after the transaction holding it commits."""
        if self._thread is None:
            raise StoreError("the store is closed")
        future: Future[T] = Future()
        self._queue.put(_Item(job, future))
        return future

    async def run(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Submit `job` and await its committed result."""
        return await asyncio.wrap_future(self.submit(job))

    def call(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Submit `job` and block until it has committed (for synchronous callers)."""
        return self.submit(job).result()

    def _run(self) -> None:
        try:
            conn = self._connect()
        except BaseException as exc:
            self._startup_error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            while True:
                first = self._queue.get()
                if first is None:
                    return
                group = [first]
                stop = False
                while len(group) < MAX_GROUP:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:
                        stop = True
                        break
                    group.append(item)
                self._commit_group(conn, group)
                if stop:
                    return
        finally:
            conn.close()

    def _commit_group(self, conn: sqlite3.Connection, group: list[_Item]) -> None:
        results: list[tuple[_Item, Any, BaseException | None]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            log.error("cannot begin a write transaction: %s", exc)
            for item in group:
                item.future.set_exception(translate(exc))
            return
        for item in group:
            try:
                conn.execute("SAVEPOINT job")
                value = item.job(conn)
                conn.execute("RELEASE job")
                results.append((item, value, None))
            except BaseException as exc:
                error: BaseException = translate(exc) if isinstance(exc, sqlite3.Error) else exc
                if isinstance(exc, sqlite3.Error):
                    log.error("write failed: %s", exc)
                if not _rollback_savepoint(conn):
                    # SQLite rolled the whole transaction back (SQLITE_FULL does): the jobs
                    # before this one are gone too, so the whole group fails, none acknowledged.
                    for failed in group:
                        failed.future.set_exception(error)
                    return
                results.append((item, None, error))
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            log.error("commit failed: %s", exc)
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            for item in group:
                item.future.set_exception(translate(exc))
            return
        self.commits += 1
        committed: list[Any] = []
        for item, value, failure in results:
            if failure is None:
                item.future.set_result(value)
                committed.append(value)
            else:
                item.future.set_exception(failure)
        if self._after_commit is not None and committed:
            try:
                self._after_commit(committed)
            except Exception:
                log.exception("after-commit hook failed")


def _rollback_savepoint(conn: sqlite3.Connection) -> bool:
    """Undo the failed job alone; False when the whole transaction is already gone."""
    if not conn.in_transaction:
        return False
    try:
        conn.execute("ROLLBACK TO job")
        conn.execute("RELEASE job")
    except sqlite3.Error:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        return False
    return True
