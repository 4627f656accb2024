"""The single writer: every change goes through one connection that commits in groups.

Jobs (functions of a `Tx`: the connection, and a list of events to tell once committed) are
queued from the event loop; one flush, scheduled with `call_soon`, runs everything queued during
that loop iteration inside one transaction, commits once, and only then settles the callers'
futures and publishes the events the committed jobs emitted: concurrent SMTP sessions share a
commit, none is answered before its message is durable, and no listener hears of a change that
was rolled back. A job that fails is rolled back alone; SQLITE_FULL takes the whole transaction
with it, and then the group's jobs are committed one by one, so that a delete queued beside
refused mail still goes through. A commit that fails fails every job in it.

Room is a `Keeper`'s business (the checkpointer): it is told of each commit and of each
SQLITE_FULL. While the WAL is at its bound, commits wait (the jobs queue; the loop runs on) until
a checkpoint has restarted it; while the disk is full the database may not grow (`space`).

Why on the loop and not in a writer thread: each `execute` from a second thread releases and
retakes the GIL, and retaking it waits for the loop thread to yield. With ~8 statements per
message that convoy cost more than the SQL itself (measured: 0.38x of the bare-aiosmtpd ceiling
with a thread). In WAL mode with synchronous=NORMAL a commit does not fsync, so committing on the
loop is cheap; the fsyncs happen at checkpoints, which `Checkpointer` runs on its own thread and
connection, where SQLite works without holding the GIL. The exception is a group holding a
heavy job (a message of megabytes: writing and indexing 40 MB take ~250 ms): that one
transaction runs on a worker thread, so that the loop never waits for it (issue 9).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from mailyard.sandbox.errors import StorageFullError, StoreError
from mailyard.sandbox.events import Event

log = logging.getLogger("mailyard.store")

T = TypeVar("T")


class GroupWork(Protocol):
    """Work a group's jobs share, done once per transaction rather than once per job (the
    search vocabulary: one row for the group's new tokens, not one a message)."""

    def flush(self, conn: sqlite3.Connection) -> None:
        """Write what the jobs left pending; inside the transaction, right before COMMIT."""
        ...

    def settle(self, committed: bool) -> None:
        """The transaction committed, or was rolled back (then what was pending is dropped:
        jobs redone after a rollback bring it again)."""
        ...


@dataclass
class Tx:
    """What a job gets: the write connection inside the group's transaction, `emit` for
    events that are published only if this job's changes are committed, and `share` for work
    done once for the whole group."""

    conn: sqlite3.Connection
    events: list[Event] = field(default_factory=list)
    works: dict[int, GroupWork] = field(default_factory=dict)

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def share(self, work: GroupWork) -> None:
        """Have `work` flushed before this transaction commits (once, however many jobs ask)."""
        self.works.setdefault(id(work), work)


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
    heavy: bool = False


Outcome = tuple[_Item, Any, BaseException | None, list[Event]]


class Keeper(Protocol):
    """What looks after the room the writer writes into (`checkpointer.Checkpointer`)."""

    @property
    def full(self) -> bool:
        """The disk is full: the database may not grow (it may reuse pages deletes freed)."""
        ...

    def over_limit(self) -> bool:
        """The WAL is at its bound: commits wait until a checkpoint has restarted it."""
        ...

    def committed(self) -> None:
        """Told after each commit (cheap; on the loop, or on the thread of a heavy group)."""
        ...

    def exhausted(self) -> None:
        """A write failed with SQLITE_FULL."""
        ...


class Writer:
    """Owns the write connection; groups jobs into transactions.

    Another thread (the checkpointer) may hold it (`held`): no transaction runs on the loop until
    it lets go, and jobs queued meanwhile wait for it, not the loop.
    """

    def __init__(
        self, connect: Callable[[], sqlite3.Connection], publish: Publish | None = None
    ) -> None:
        self._connect = connect
        self._publish = publish
        self._conn: sqlite3.Connection | None = None
        self._pending: list[_Item] = []
        self._scheduled = False
        self.commits = 0
        # Jobs refused because the database failed (full disk included), as /metrics counts
        # them: one per job, however many attempts it took to tell.
        self.errors = 0
        self.keeper: Keeper | None = None
        # Shared with the checkpointer's thread (everything else is the loop's alone).
        self._state = threading.Condition()
        self._holds = 0
        self._busy = False
        self._deferred = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._page_cap = 0  # max_page_count as configured; lowered while the disk is full
        self._frozen = False
        self._last_error: Exception = StoreError("the database failed to write")

    def start(self) -> None:
        self._conn = self._connect()
        self._page_cap = int(self._conn.execute("PRAGMA max_page_count").fetchone()[0])

    def stop(self) -> None:
        """Commit what is queued, then close."""
        if self._conn is None:
            return
        with self._state:
            while self._busy:  # a heavy group committing on its thread
                self._state.wait()
        if self._pending:
            group, self._pending = self._pending, []
            self._settle(self._tell(self._guarded(group)))
        self._conn.close()
        self._conn = None

    async def run(self, job: Callable[[Tx], T], *, heavy: bool = False) -> T:
        """Queue `job`; returns its result once the transaction holding it has committed.

        `heavy`: the job writes or indexes megabytes (a message of 40 MB: ~250 ms), so its
        group's transaction runs on a worker thread, and the loop goes on meanwhile (issue 9);
        jobs queued meanwhile wait for it, as they wait for a checkpoint's hold."""
        if self._conn is None:
            raise StoreError("the store is closed")
        loop = self._loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._pending.append(_Item(job, future, heavy))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush)
        return await future

    def call(self, job: Callable[[Tx], T]) -> T:
        """Run `job` in a transaction of its own, now (for callers without an event loop)."""
        if self._conn is None:
            raise StoreError("the store is closed")
        if self._pending:
            group, self._pending = self._pending, []
            self._settle(self._tell(self._guarded(group)))
        ((_, value, error, _),) = self._tell(self._guarded([_Item(job)]))
        if error is not None:
            raise error
        return value  # type: ignore[no-any-return]

    # -- holding, from the checkpointer's thread ------------------------------------------------

    @contextmanager
    def held(self) -> Iterator[None]:
        """No transaction of this writer runs inside (waits for one running to finish)."""
        with self._state:
            self._holds += 1
            while self._busy:
                self._state.wait()
        try:
            yield
        finally:
            with self._state:
                self._holds -= 1
                self._state.notify_all()
            self.resume()

    def resume(self) -> None:
        """Commit what waited, if anything did (from any thread)."""
        with self._state:
            if not self._deferred or self._holds:
                return
            self._deferred = False
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._schedule)

    def _schedule(self) -> None:
        if self._pending and not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    # -- committing -------------------------------------------------------------------------

    def _flush(self) -> None:
        self._scheduled = False
        if not self._pending:
            return
        if self._conn is None:
            group, self._pending = self._pending, []
            self._settle([(i, None, StoreError("the store is closed"), []) for i in group])
            return
        keeper = self.keeper
        with self._state:
            if self._busy:  # a heavy group is committing on its thread; it reschedules us
                return
            if self._holds or (keeper is not None and keeper.over_limit()):
                self._deferred = True  # the checkpointer resumes us
                return
            self._busy = True
        group, self._pending = self._pending, []
        if any(item.heavy for item in group):
            self._off_loop(self._conn, group)
            return
        try:
            outcomes = self._commit_group(self._conn, group)
            if keeper is not None:
                keeper.committed()  # before a hold can start: it sees the WAL as it is
        finally:
            with self._state:
                self._busy = False
                self._state.notify_all()
        self._settle(self._tell(outcomes))

    def _off_loop(self, conn: sqlite3.Connection, group: list[_Item]) -> None:
        """Commit `group` on a worker thread (`run(heavy=True)`); publish and settle on the
        loop. Busy until it is done: the loop's flushes, a hold and `stop` wait for it."""

        def commit() -> list[Outcome]:
            try:
                outcomes = self._commit_group(conn, group)
                if self.keeper is not None:
                    self.keeper.committed()
                return outcomes
            finally:
                with self._state:
                    self._busy = False
                    self._state.notify_all()

        def done(task: asyncio.Future[list[Outcome]]) -> None:
            error = task.exception()
            if error is not None:  # not an sqlite3 error (those are outcomes): fail the group
                self._settle([(item, None, error, []) for item in group])
            else:
                self._settle(self._tell(task.result()))
            self._schedule()  # what was queued meanwhile

        loop = asyncio.get_running_loop()
        loop.run_in_executor(None, commit).add_done_callback(done)

    def _guarded(self, group: list[_Item]) -> list[Outcome]:
        """`_commit_group` for the synchronous paths: waits out a hold instead of deferring
        (and commits past the WAL's bound: stopping must not lose what was queued)."""
        assert self._conn is not None
        with self._state:
            while self._holds or self._busy:  # a heavy group's thread clears `_busy` itself
                self._state.wait()
            self._busy = True
        try:
            outcomes = self._commit_group(self._conn, group)
            if self.keeper is not None:
                self.keeper.committed()
        finally:
            with self._state:
                self._busy = False
                self._state.notify_all()
        return outcomes

    @staticmethod
    def _settle(outcomes: list[Outcome]) -> None:
        for item, value, error, _ in outcomes:
            future = item.future
            if future is None or future.done():  # the awaiting task was cancelled meanwhile
                continue
            if error is None:
                future.set_result(value)
            else:
                future.set_exception(error)

    def _commit_group(self, conn: sqlite3.Connection, group: list[_Item]) -> list[Outcome]:
        self._fit_to_disk(conn)
        # First without savepoints: FTS5 flushes its pending terms at every savepoint boundary,
        # which would write one index segment per message and undo the point of grouping.
        # Only when a job fails is the group redone with a savepoint per job, to isolate it.
        outcomes = self._attempt(conn, group, isolate=False)
        if outcomes is None:
            outcomes = self._attempt(conn, group, isolate=True)
        if outcomes is None:
            # A job's failure took the whole transaction with it (SQLITE_FULL does): one
            # transaction per job, so the others (a delete beside refused mail) still commit.
            outcomes = [self._alone(conn, item) for item in group]
        self.errors += sum(isinstance(error, StoreError) for _, _, error, _ in outcomes)
        refused = any(isinstance(error, StorageFullError) for _, _, error, _ in outcomes)
        # The disk, not our own page limit (tests set one): the keeper frees the reserve.
        if refused and self.keeper is not None and (self._frozen or not self._at_page_cap(conn)):
            self.keeper.exhausted()
        return outcomes

    def _tell(self, outcomes: list[Outcome]) -> list[Outcome]:
        """Publish the events of the committed jobs (on the loop's thread, or the caller's)."""
        if self._publish is not None:
            for _, _, error, events in outcomes:
                for event in events if error is None else ():
                    self._publish(event)
        return outcomes

    def _fit_to_disk(self, conn: sqlite3.Connection) -> None:
        """While the disk is full the database may not grow: writes fit in the pages it has
        (deletes free some), so the room the ballast gave back is left for deletes."""
        full = self.keeper is not None and self.keeper.full
        if full == self._frozen:
            return
        try:
            if full:
                pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
                conn.execute(f"PRAGMA max_page_count = {min(pages, self._page_cap)}")
            else:
                conn.execute(f"PRAGMA max_page_count = {self._page_cap}")
        except sqlite3.Error as exc:
            log.warning("cannot change the page limit: %s", exc)
            return
        self._frozen = full

    def _at_page_cap(self, conn: sqlite3.Connection) -> bool:
        try:
            pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
        except sqlite3.Error:
            return False
        return pages >= self._page_cap

    def _alone(self, conn: sqlite3.Connection, item: _Item) -> Outcome:
        outcomes = self._attempt(conn, [item], isolate=False)
        if outcomes is None:  # it failed and was rolled back; say why
            return item, None, self._last_error, []
        return outcomes[0]

    def _attempt(
        self, conn: sqlite3.Connection, group: list[_Item], *, isolate: bool
    ) -> list[Outcome] | None:
        """One transaction over the group; None when a job failed and `isolate` is off, or
        when its failure rolled the whole transaction back."""
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            log.error("cannot begin a write transaction: %s", exc)
            return [(item, None, translate(exc), []) for item in group]
        outcomes: list[Outcome] = []
        works: dict[int, GroupWork] = {}
        for item in group:
            tx = Tx(conn, works=works)
            try:
                if isolate:
                    conn.execute("SAVEPOINT job")
                value = item.job(tx)
                if isolate:
                    conn.execute("RELEASE job")
                outcomes.append((item, value, None, tx.events))
            except Exception as exc:
                error: Exception = translate(exc) if isinstance(exc, sqlite3.Error) else exc
                if isinstance(exc, sqlite3.Error) and not isinstance(error, StorageFullError):
                    log.error("write failed: %s", exc)  # a full disk is told once, by `space`
                self._last_error = error
                if not isolate:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    _settle_works(works, committed=False)
                    return None
                if not _rollback_savepoint(conn):
                    _settle_works(works, committed=False)
                    return None  # the jobs before this one are gone too
                outcomes.append((item, None, error, []))
        try:
            for work in works.values():
                work.flush(conn)
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            _settle_works(works, committed=False)
            error = translate(exc)
            if not isinstance(error, StorageFullError):
                log.error("commit failed: %s", exc)
            elif len(group) > 1:
                self._last_error = error
                return None  # alone, the smaller ones may still fit
            return [(item, None, error, []) for item in group]
        _settle_works(works, committed=True)
        if any(error is None for _, _, error, _ in outcomes):
            self.commits += 1
        return outcomes


def _settle_works(works: dict[int, GroupWork], *, committed: bool) -> None:
    for work in works.values():
        work.settle(committed)


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
