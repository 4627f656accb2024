"""The store: one SQLite file in WAL mode, raw bytes as the truth, summaries beside them, read
and written through typed repositories.

    store = Store("mailyard.db", clock=clock, publish=bus.publish)
    store.open()
    stored = await store.messages.ingest(raw, envelope)   # durable once this returns
    page = store.messages.page(query="to:jane@example.com")
    store.close()

Writes go through the single group-committing `Writer` on the event loop, and the events they
emit are published once committed; reads use their own connection (WAL lets them run beside the
writer); a checkpointer thread folds the WAL back.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

from mailyard.sandbox.clock import Clock
from mailyard.sandbox.errors import StoreError
from mailyard.sandbox.store.checkpointer import DEFAULT_LIMIT, Checkpointer
from mailyard.sandbox.store.deliveries import Deliveries
from mailyard.sandbox.store.messages import Messages, Retention
from mailyard.sandbox.store.migrate import migrate
from mailyard.sandbox.store.send_log import SendLog
from mailyard.sandbox.store.space import Space
from mailyard.sandbox.store.tags import Tags
from mailyard.sandbox.store.webhooks import Webhooks
from mailyard.sandbox.store.writer import Publish, Writer

log = logging.getLogger("mailyard.store")

SYNC_MODES = ("OFF", "NORMAL", "FULL")

__all__ = ["SYNC_MODES", "Retention", "Store"]


class Store:
    """Opens, migrates and closes the database; holds the writer, reader and repositories."""

    def __init__(
        self,
        path: str,
        *,
        clock: Clock | None = None,
        publish: Publish | None = None,
        synchronous: str = "NORMAL",
        retention: Retention = Retention(),  # noqa: B008 - frozen value
        max_pages: int | None = None,
        wal_limit: int = DEFAULT_LIMIT,
    ) -> None:
        if synchronous.upper() not in SYNC_MODES:
            raise ValueError(f"synchronous must be one of {', '.join(SYNC_MODES)}")
        self.wal_limit = wal_limit
        self.requested_path = path
        self.path = path
        self.synchronous = synchronous.upper()
        self.clock = clock or Clock()
        self._max_pages = max_pages
        self._tempdir: str | None = None
        self._reader: sqlite3.Connection | None = None
        # Keys recipients' hashes in the send log: random per install, kept in the database.
        self.log_key = b""
        self.writer = Writer(self._connect_writer, publish)
        # Made at open, once the path is known (':memory:' becomes a file then).
        self.space: Space | None = None
        self._checkpointer: Checkpointer | None = None
        self.messages = Messages(self.reader, self.writer, self.clock, retention)
        self.tags = Tags(self.reader, self.writer)
        self.send_log = SendLog(self.reader, self.writer, self.clock)
        self.deliveries = Deliveries(self.reader, self.writer)
        self.webhooks = Webhooks(self.reader, self.writer)

    # -- lifecycle --------------------------------------------------------------------------

    def open(self) -> None:
        if self.requested_path == ":memory:":
            # A throw-away store still needs two connections (writer, readers), which a true
            # in-memory database cannot share in WAL mode: use a file deleted on close.
            self._tempdir = tempfile.mkdtemp(prefix="mailyard-")
            self.path = os.path.join(self._tempdir, "mailyard.db")
        elif not Path(self.path).resolve().parent.is_dir():
            raise StoreError(f"cannot create {self.path}: the folder does not exist")
        # The WAL's bound and the disk's reserve (`checkpointer`, `space`).
        self.space = Space(self.path, reserve=Checkpointer.reserve(self.wal_limit))
        self._checkpointer = Checkpointer(
            self._connect, self.writer, self.space, self.path + "-wal", limit=self.wal_limit
        )
        self.writer.keeper = self._checkpointer
        self.space.keep()
        try:
            self.writer.start()
            self._reader = self._connect(query_only=True)
            check = self._reader.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.Error as exc:
            self.close()
            raise StoreError(_explain(self.path, exc)) from None
        if check != "ok":
            self.close()
            raise StoreError(f"the database {self.path} is damaged: {check}")
        self._checkpointer.start()

    def close(self) -> None:
        self.writer.stop()  # idempotent, as are the rest
        if self._checkpointer is not None:
            self._checkpointer.stop()
        if self.space is not None:
            self.space.drop()
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None

    def open_and_close(self) -> None:
        """Check that the database opens, migrates and reads (StoreError says why not)."""
        self.open()
        self.close()

    def __enter__(self) -> Store:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def retention(self) -> Retention:
        return self.messages.retention

    def _connect(self, query_only: bool = False) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute(f"PRAGMA synchronous = {self.synchronous}")
        if query_only:
            conn.execute("PRAGMA query_only = 1")
        return conn

    def _connect_writer(self) -> sqlite3.Connection:
        conn = self._connect()
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            log.warning("WAL mode is not available for %s (journal mode %s)", self.path, mode)
        # Checkpoints (and their fsyncs) run on the checkpointer's thread, not in a commit.
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        limit = Checkpointer.journal_size_limit(self.wal_limit)
        conn.execute(f"PRAGMA journal_size_limit = {limit}")
        # Debian's SQLite zeroes every freed page (SECURE_DELETE), which writes a deleted
        # message's whole size to the WAL: a delete would need as much free disk as it frees.
        # FAST zeroes only within pages written anyway.
        conn.execute("PRAGMA secure_delete = FAST")
        if self._max_pages:
            conn.execute(f"PRAGMA max_page_count = {int(self._max_pages)}")
        migrate(conn, self.clock.now())
        conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('log_hmac_key', randomblob(32))"
        )
        self.log_key = bytes(
            conn.execute("SELECT value FROM meta WHERE key = 'log_hmac_key'").fetchone()[0]
        )
        return conn

    def reader(self) -> sqlite3.Connection:
        """The read connection (WAL: readers never wait for the writer)."""
        if self._reader is None:
            raise StoreError("the store is closed")
        return self._reader

    def meta(self, key: str) -> bytes | None:
        """A per-install value kept in the database (keys, certificates)."""
        row = self.reader().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return bytes(row[0]) if row else None

    def set_meta(self, key: str, value: bytes) -> None:
        """Keep a per-install value; the first one set wins (two callers racing agree)."""
        self.writer.call(
            lambda tx: tx.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (key, value)
            )
        )

    def file_size(self) -> int:
        """Bytes on disk: the database and its WAL."""
        total = 0
        for suffix in ("", "-wal"):
            try:
                total += os.path.getsize(self.path + suffix)
            except OSError:
                continue
        return total


def _explain(path: str, exc: sqlite3.Error) -> str:
    """A one-line reason a database cannot be opened, in the user's terms."""
    text = str(exc).lower()
    if "readonly" in text or "read-only" in text:
        return f"the database {path} is read-only: mailyard needs to write to it and its folder"
    if "not a database" in text or "malformed" in text:
        return f"{path} is not a mailyard database, or it is damaged ({exc})"
    if "unable to open" in text:
        return f"cannot open the database {path}: check the path and its permissions"
    return f"cannot open the database {path}: {exc}"
