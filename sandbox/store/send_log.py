"""The send-log repository: one row per email the mailer sent, skipped, blocked or failed."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from mailyard.sandbox.clock import Clock
from mailyard.sandbox.events import Event
from mailyard.sandbox.store.records import SendLogEntry, SendRecord
from mailyard.sandbox.store.writer import Tx, Writer

_COLUMNS = (
    "concept",
    "theme",
    "locale",
    "recipient",
    "provider",
    "message_id",
    "outcome",
    "reason",
    "error_code",
    "attempts",
    "duration_ms",
    "test",
    "missing",
)


@dataclass(frozen=True)
class SendLogged(Event):
    """The mailer recorded an outcome (the status page shows it live)."""

    entry: SendLogEntry


class SendLog:
    """Append and read the send log; the newest entries first."""

    def __init__(
        self, reader: Callable[[], sqlite3.Connection], writer: Writer, clock: Clock
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._clock = clock

    async def record(self, record: SendRecord) -> SendLogEntry:
        return await self._writer.run(lambda tx: self._insert(tx, record))

    def _insert(self, tx: Tx, r: SendRecord) -> SendLogEntry:
        created, created_ts = self._clock.stamp()
        values = (
            r.concept,
            r.theme,
            r.locale,
            r.recipient,
            r.provider,
            r.message_id,
            r.outcome,
            r.reason,
            r.error_code,
            r.attempts,
            r.duration_ms,
            int(r.test),
            ",".join(r.missing),
        )
        cursor = tx.execute(
            f"INSERT INTO send_log (created, created_ts, {', '.join(_COLUMNS)}) "
            f"VALUES (?, ?, {', '.join('?' * len(_COLUMNS))})",
            (created, created_ts, *values),
        )
        entry = SendLogEntry(int(cursor.lastrowid or 0), created, r)
        tx.emit(SendLogged(entry))
        return entry

    def entries(
        self,
        *,
        limit: int = 50,
        concept: str | None = None,
        outcome: str | None = None,
        reason: str | None = None,
    ) -> list[SendLogEntry]:
        """The newest entries first, optionally of one concept, outcome or reason."""
        clauses, params = [], []
        for column, value in (("concept", concept), ("outcome", outcome), ("reason", reason)):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = " AND ".join(clauses) or "1"
        rows = self._reader().execute(
            f"SELECT id, created, {', '.join(_COLUMNS)} FROM send_log WHERE {where} "
            "ORDER BY id DESC LIMIT ?",
            (*params, limit),
        )
        return [_entry(row) for row in rows]


def _entry(row: sqlite3.Row) -> SendLogEntry:
    record = SendRecord(
        concept=row["concept"],
        theme=row["theme"],
        locale=row["locale"],
        recipient=row["recipient"],
        provider=row["provider"],
        outcome=row["outcome"],
        message_id=row["message_id"],
        reason=row["reason"],
        error_code=row["error_code"],
        attempts=int(row["attempts"]),
        duration_ms=float(row["duration_ms"]),
        test=bool(row["test"]),
        missing=tuple(m for m in row["missing"].split(",") if m),
    )
    return SendLogEntry(int(row["id"]), row["created"], record)
