"""Tells waiting readers that the store changed: the wait API and live pages listen here."""

from __future__ import annotations

import asyncio

from mailyard.sandbox.store.records import Stored


class Notifier:
    """A version number that increases on every commit, and a way to wait for it to move.

    Lives on the event loop; the writer thread reaches it through `call_soon_threadsafe`.
    """

    def __init__(self) -> None:
        self.version = 0
        self.closed = False
        self._changed = asyncio.Event()

    def close(self) -> None:
        """Wake every waiter for good: the server is shutting down."""
        self.closed = True
        self._changed.set()

    def publish(self, stored: list[Stored]) -> None:
        """Called after each commit with what it stored (unused here: waiters re-query)."""
        self.version += 1
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait(self, version: int, timeout: float) -> bool:
        """Wait until the version differs from `version`; False on timeout."""
        if self.version != version or self.closed:
            return True
        event = self._changed
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return False
        return True
