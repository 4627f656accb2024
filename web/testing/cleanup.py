"""Deleting a test's own mail once it ends: by ID, only what is provably the test's (addressed
to its token's addresses, or in its mailbox), and off the test's own time.

A cleanup is a search and a delete (a write the store commits): two round trips and most of a
test's overhead when done in its teardown. `Cleaner` does them on a thread of its own while the
next test runs; `flush` (at the end of the session, before the server goes) waits for every one
and raises the first failure, so none is lost. Deleting late is harmless: a test only ever sees
mail that arrived after it started, and to its own addresses.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass

from mailyard.web.testing.client import MailyardClient
from mailyard.web.testing.errors import ServiceError


@dataclass(frozen=True)
class Leftovers:
    """What of a finished test's mail to delete: mail to the addresses of `token`, and the
    mail of `mailbox`."""

    token: str | None = None
    mailbox: str | None = None

    def delete(self, client: MailyardClient) -> None:
        ids: set[str] = set()
        if self.token:
            ids.update(client.ids(query=f"addressed:{self.token}"))
        if self.mailbox:
            ids.update(client.ids(mailbox=self.mailbox))
        if ids:  # never an empty list: that would ask to delete every message
            client.delete(sorted(ids))


class Cleaner:
    """Deletes leftovers on a background thread, in the order given."""

    def __init__(self, client: MailyardClient) -> None:
        self._client = client
        self._queue: queue.Queue[Leftovers | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._failures: list[str] = []
        self._lock = threading.Lock()

    def submit(self, leftovers: Leftovers) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="mailyard-cleanup", daemon=True
                )
                self._thread.start()
        self._queue.put(leftovers)

    def _run(self) -> None:
        while (leftovers := self._queue.get()) is not None:
            try:
                leftovers.delete(self._client)
            except Exception as exc:  # kept for flush(): a thread has no one to raise to
                self._failures.append(f"{leftovers}: {exc}")
            finally:
                self._queue.task_done()
        self._queue.task_done()

    def flush(self) -> None:
        """Wait until every submitted cleanup is done; raise if any failed."""
        self._queue.join()
        if self._failures:
            failures, self._failures = self._failures, []
            raise ServiceError(
                f"deleting the tests' mail failed {len(failures)} time(s); first: {failures[0]}"
            )

    def close(self) -> None:
        """Flush, then stop the thread."""
        try:
            self.flush()
        finally:
            with self._lock:
                thread, self._thread = self._thread, None
            if thread is not None:
                self._queue.put(None)
                thread.join()
