"""The account-level suppression list: an entry (`Suppression`), the bus event told when the
list changes, and `SuppressionList`, the part of the `Deliveries` repository that adds, removes
and looks up entries (a mailbox's list, or the newest entry of an address in any mailbox).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from mailyard.sandbox.events import Event
from mailyard.sandbox.store.writer import Tx, Writer


@dataclass(frozen=True)
class Suppression:
    mailbox: str
    address: str
    reason: str  # BOUNCE | COMPLAINT
    created: float
    message_id: str = ""
    origin: str = "simulator"  # simulator | api | manual


@dataclass(frozen=True)
class SuppressionsChanged(Event):
    mailbox: str
    address: str | None  # None: the whole list of the mailbox
    added: bool


class SuppressionList:
    """The suppression list's writes and reads (mixed into `Deliveries`)."""

    _reader: Callable[[], sqlite3.Connection]
    _writer: Writer

    async def suppress(self, entries: Iterable[Suppression]) -> int:
        """Add addresses to their mailbox's suppression list (an entry already there stays)."""
        rows = list(entries)

        def job(tx: Tx) -> int:
            added = 0
            for s in rows:
                added += tx.execute(
                    "INSERT OR IGNORE INTO suppressions (mailbox, address, reason, created, "
                    "message_id, origin) VALUES (?,?,?,?,?,?)",
                    (s.mailbox, s.address.lower(), s.reason, s.created, s.message_id, s.origin),
                ).rowcount
                tx.emit(SuppressionsChanged(s.mailbox, s.address.lower(), True))
            return added

        return await self._writer.run(job) if rows else 0

    async def unsuppress(self, mailbox: str, address: str | None) -> int:
        """Remove one address from the list, or clear the mailbox's list (`address` None)."""

        def job(tx: Tx) -> int:
            if address is None:
                removed = tx.execute("DELETE FROM suppressions WHERE mailbox = ?", (mailbox,))
            else:
                removed = tx.execute(
                    "DELETE FROM suppressions WHERE mailbox = ? AND address = ?",
                    (mailbox, address.lower()),
                )
            tx.emit(SuppressionsChanged(mailbox, address.lower() if address else None, False))
            return int(removed.rowcount)

        return await self._writer.run(job)

    def suppressed_anywhere(self, address: str) -> Suppression | None:
        """The newest suppression of the address in any mailbox (an account-wide question)."""
        row = (
            self._reader()
            .execute(
                "SELECT mailbox, address, reason, created, message_id, origin FROM suppressions "
                "WHERE address = ? ORDER BY created DESC LIMIT 1",
                (address.lower(),),
            )
            .fetchone()
        )
        return Suppression(*row) if row else None

    def suppression(self, mailbox: str, address: str) -> Suppression | None:
        row = (
            self._reader()
            .execute(
                "SELECT mailbox, address, reason, created, message_id, origin FROM suppressions "
                "WHERE mailbox = ? AND address = ?",
                (mailbox, address.lower()),
            )
            .fetchone()
        )
        return Suppression(*row) if row else None

    def suppressions(
        self, mailbox: str | None = None, *, reason: str | None = None, limit: int = 1000
    ) -> list[Suppression]:
        clauses, params = ["1"], []
        if mailbox is not None:
            clauses.append("mailbox = ?")
            params.append(mailbox)
        if reason is not None:
            clauses.append("reason = ?")
            params.append(reason)
        rows = self._reader().execute(
            "SELECT mailbox, address, reason, created, message_id, origin FROM suppressions "
            f"WHERE {' AND '.join(clauses)} ORDER BY created DESC, address LIMIT ?",
            (*params, limit),
        )
        return [Suppression(*r) for r in rows]
