"""Keeping the WAL under its bound, and watching the disk's room, on a thread of its own.

The write connection has automatic checkpoints turned off (see `writer`), so the event loop never
waits for the fsyncs a checkpoint does; this thread runs them instead, on its own connection,
where SQLite works without holding the GIL.

Why the WAL grew without bound (issue 9: 141 MB to 1,171 MB in 60 s of ingest): a PASSIVE
checkpoint copies the frames there are when it starts, and the WAL starts over from its beginning
only when a writer begins after a checkpoint that copied every frame. Under sustained ingest the
writer commits every few milliseconds, so no checkpoint ever finished first and the file only
grew. Readers were not the cause: every read in mailyard is a statement run to its end on the
loop, the one explicit read transaction (`message_reads._snapshot`) spans no await, and no cursor is
kept open across one (a reader that did would stop checkpoints: see the bound below).

So, with `limit` the bound (`--wal-limit`):

- every `interval` seconds a PASSIVE checkpoint copies what it can, stopping no one;
- once the WAL holds `limit / 8`: a PASSIVE checkpoint, then the writer is held (`Writer.held`:
  jobs queue, the loop runs on) for a RESTART checkpoint of what came in meanwhile, usually a
  millisecond or two; the next commit starts the WAL over, and `journal_size_limit` (set on the
  write connection to `limit / 16`) cuts the file back. Keeping that much of the file means the
  first pages of a later delete need no new room on a full disk;
- once the WAL reaches `limit` (a reader kept RESTART from finishing), commits wait until a
  RESTART succeeds: the bound holds and ingest slows, with a warning naming the cause;
- one transaction larger than the room left (a message near the size cap) passes the bound by
  its own size: a commit is never split.

The disk's reserve (`space.Space`, `limit`) is sized from the same limit: once the disk is
full, a checkpoint must still copy the WAL's new pages into the database before the WAL can
start over (`limit / 8` and a commit when this thread keeps up, up to `limit` when it lags on a
loaded machine), and deletes need room for theirs. While the disk is
full this thread checks for room each tick, so ingest resumes by itself.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable

from mailyard.sandbox.errors import StorageFullError
from mailyard.sandbox.store.space import Space
from mailyard.sandbox.store.writer import Writer, translate

log = logging.getLogger("mailyard.store")

DEFAULT_LIMIT = 64 * 1024 * 1024
MIN_LIMIT = 1024 * 1024
TICK = 0.1  # seconds between looks at the WAL and the disk
HOLD_WAIT_MS = 100  # how long a held RESTART waits for readers before trying again later


class Checkpointer:
    """Checkpoints the WAL of the writer's database; the writer's `Keeper`."""

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        writer: Writer,
        space: Space,
        wal_path: str,
        *,
        limit: int = DEFAULT_LIMIT,
        interval: float = 1.0,
    ) -> None:
        if limit < MIN_LIMIT:
            raise ValueError(f"the WAL limit must be at least {MIN_LIMIT} bytes")
        self._connect = connect
        self._writer = writer
        self._space = space
        self._wal_path = wal_path
        self.limit = limit
        self.restart_at = limit // 8
        self._every = max(1, round(interval / TICK))
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._wal = 0  # bytes of WAL file after the last commit; 0 once restarted
        self._said = ""  # the last failure logged, so a stuck state logs once, not each tick
        self.peak = 0  # the largest WAL seen after a commit
        self.restarts = 0

    @staticmethod
    def journal_size_limit(limit: int) -> int:
        """Bytes of WAL file kept when it starts over (`PRAGMA journal_size_limit`)."""
        return limit // 16

    @staticmethod
    def reserve(limit: int) -> int:
        """Bytes kept free on the disk for a full disk's checkpoint and deletes: the limit
        itself, since a checkpoint may have to copy that much new WAL into the database (a
        quarter of it deadlocked a loaded machine: the WAL past `restart_at` when the disk
        filled, the checkpoint unable to grow the file, the writer waiting for it)."""
        return limit

    # -- the writer's Keeper (called on the event loop) ---------------------------------------

    @property
    def full(self) -> bool:
        return self._space.full

    def over_limit(self) -> bool:
        if self._wal >= self.limit:
            self._wake.set()
            return True
        return False

    def committed(self) -> None:
        try:
            size = os.path.getsize(self._wal_path)
        except OSError:
            size = 0
        self._wal = size
        self.peak = max(self.peak, size)
        if size >= self.restart_at:
            self._wake.set()

    def exhausted(self) -> None:
        self._space.exhausted()
        self._wake.set()

    # -- the thread ---------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="mailyard-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        conn = self._connect()
        ticks = 0
        try:
            while not self._stop.is_set():
                self._wake.wait(TICK)
                self._wake.clear()
                if self._stop.is_set():
                    break
                ticks += 1
                if self._space.full and self._space.recover():
                    self._writer.resume()
                if self._wal >= self.restart_at:
                    self._restart(conn)
                elif ticks % self._every == 0:
                    self._checkpoint(conn, "PASSIVE")
            self._checkpoint(conn, "TRUNCATE")  # the writer has stopped: leave no WAL behind
        finally:
            conn.close()

    def _restart(self, conn: sqlite3.Connection) -> None:
        """Copy the WAL into the database and have the next commit start it over."""
        self._checkpoint(conn, "PASSIVE")  # the bulk, while the writer goes on
        conn.execute(f"PRAGMA busy_timeout = {HOLD_WAIT_MS}")
        with self._writer.held():
            done = self._checkpoint(conn, "RESTART")  # what came in meanwhile: little
            if done:
                self._wal = 0  # inside the hold: no commit can race this
                self.restarts += 1
        if done:
            self._said = ""
        elif self._wal >= self.limit:
            self._say(
                f"the WAL has reached its limit ({self.limit // (1024 * 1024)} MB) and a read "
                "transaction keeps it from being checkpointed: writes wait"
            )

    def _checkpoint(self, conn: sqlite3.Connection, mode: str) -> bool:
        """Whether the checkpoint copied every frame (and, for RESTART, readers let it)."""
        try:
            busy, _, _ = conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
        except sqlite3.Error as exc:
            if isinstance(translate(exc), StorageFullError):
                self._space.exhausted()  # the database file could not grow: give it the room
            self._say(f"WAL checkpoint failed: {exc}")
            return False
        return not busy

    def _say(self, text: str) -> None:
        if text != self._said:
            log.warning("%s", text)
            self._said = text
