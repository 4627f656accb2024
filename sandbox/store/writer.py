"""The single writer: every change goes through one connection that commits in groups.

Jobs (functions of a `Tx`: the connection, and a list of events to tell once committed) are
queued from the event loop; one flush, scheduled with `call_soon`, runs everything queued during
that loop iteration inside one transaction, commits once, and only then settles the callers'
futures and publishes the events the committed jobs emitted: concurrent SMTP sessions share a
commit, none is answered before its message is durable, and no listener hears of a change that
was rolled back. A job that fails is rolled back alone; a commit that fails fails every job of
its group.

Why on the loop and not in a writer thread: each `execute` from a second thread releases and
retakes the GIL, and retaking it waits for the loop thread to yield. With ~8 statements per
message that convoy cost more than the SQL itself (measured: 0.38x of the bare-aiosmtpd ceiling
with a thread). In WAL mode with synchronous=NORMAL a commit does not fsync, so committing on the
loop is cheap; the fsyncs happen at checkpoints, which `Checkpointer` runs on its own thread and
connection, where SQLite works without holding the GIL.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from mailyard.sandbox.errors import StorageFullError, StoreError
from mailyard.sandbox.events import Event

log = logging.getLogger("mailyard.store")

T = TypeVar("T")


@dataclass
class Tx:
    """What a job gets: the write connection inside the group's transaction, and `emit` for
    events that are published only if this job's changes are committed."""

    conn: sqlite3.Connection
    events: list[Event] = field(default_factory=list)

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def emit(self, event: Event) -> None:
        self.events.append(event)


Job = Callable[[Tx], Any]
Publish = Callable[[Event], None]


def translate(exc: sqlite3.Error) -> StoreError:
    """Our error for an sqlite3 error: disk full is told apart, the rest is transient."""
    if getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL" or "full" in str(exc):
        return StorageFullError("the database is full")
    return StoreError("the database failed to write")


@dataclass
class _Item:
    job: Job
    future: asyncio.Future[Any] | None = None


Outcome = tuple[_Item, Any, BaseException | None, list[Event]]


class Writer:
    """Owns the write connection; groups jobs into transactions."""

    def __init__(
        self, connect: Callable[[], sqlite3.Connection], publish: Publish | None = None
    ) -> None:
        self._connect = connect
        self._publish = publish
        self._conn: sqlite3.Connection | None = None
        self._pending: list[_Item] = []
        self._scheduled = False
        self.commits = 0

    def start(self) -> None:
        self._conn = self._connect()

    def stop(self) -> None:
        """Commit what is queued, then close."""
        if self._conn is None:
            return
        if self._pending:
            self._flush()
        self._conn.close()
        self._conn = None

    async def run(self, job: Callable[[Tx], T]) -> T:
        """Queue `job`; returns its result once the transaction holding it has committed."""
        if self._conn is None:
            raise StoreError("the store is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._pending.append(_Item(job, future))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush)
        return await future

    def call(self, job: Callable[[Tx], T]) -> T:
        """Run `job` in a transaction of its own, now (for callers without an event loop)."""
        if self._conn is None:
            raise StoreError("the store is closed")
        if self._pending:
            self._flush()
        ((_, value, error, _),) = self._commit_group(self._conn, [_Item(job)])
        if error is not None:
            raise error
        return value  # type: ignore[no-any-return]

    def _flush(self) -> None:
        self._scheduled = False
        group, self._pending = self._pending, []
        if not group:
            return
        if self._conn is None:
            outcomes: list[Outcome] = [
                (i, None, StoreError("the store is closed"), []) for i in group
            ]
        else:
            outcomes = self._commit_group(self._conn, group)
        for item, value, error, _ in outcomes:
            future = item.future
            if future is None or future.done():  # the awaiting task was cancelled meanwhile
                continue
            if error is None:
                future.set_result(value)
            else:
                future.set_exception(error)

    def _commit_group(self, conn: sqlite3.Connection, group: list[_Item]) -> list[Outcome]:
        # First without savepoints: FTS5 flushes its pending terms at every savepoint boundary,
        # which would write one index segment per message and undo the point of grouping.
        # Only when a job fails is the group redone with a savepoint per job, to isolate it.
        outcomes = self._attempt(conn, group, isolate=False)
        if outcomes is None:
            outcomes = self._attempt(conn, group, isolate=True)
        assert outcomes is not None
        if any(error is None for _, _, error, _ in outcomes):
            self.commits += 1
        if self._publish is not None:
            for _, _, error, events in outcomes:
                for event in events if error is None else ():
                    self._publish(event)
        return outcomes

    def _attempt(
        self, conn: sqlite3.Connection, group: list[_Item], *, isolate: bool
    ) -> list[Outcome] | None:
        """One transaction over the group; None when a job failed and `isolate` is off."""
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            log.error("cannot begin a write transaction: %s", exc)
            return [(item, None, translate(exc), []) for item in group]
        outcomes: list[Outcome] = []
        for item in group:
            tx = Tx(conn)
            try:
                if isolate:
                    conn.execute("SAVEPOINT job")
                value = item.job(tx)
                if isolate:
                    conn.execute("RELEASE job")
                outcomes.append((item, value, None, tx.events))
            except Exception as exc:
                error: Exception = translate(exc) if isinstance(exc, sqlite3.Error) else exc
                if isinstance(exc, sqlite3.Error):
                    log.error("write failed: %s", exc)
                if not isolate:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    return None
                if not _rollback_savepoint(conn):
                    # SQLite rolled the whole transaction back (SQLITE_FULL does): the jobs
                    # before this one are gone too, so the whole group fails, none acknowledged.
                    return [(failed, None, error, []) for failed in group]
                outcomes.append((item, None, error, []))
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            log.error("commit failed: %s", exc)
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            return [(item, None, translate(exc), []) for item in group]
        return outcomes


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
