"""The tags repository: Mailpit's tag API over `message_tags`."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from mailyard.sandbox.errors import InvalidInputError
from mailyard.sandbox.events import MessagesUpdated
from mailyard.sandbox.store.message_rows import chunks, scope
from mailyard.sandbox.store.writer import Tx, Writer


class Tags:
    """Tags of messages: list and count on the reader; set, rename, delete through the writer."""

    def __init__(self, reader: Callable[[], sqlite3.Connection], writer: Writer) -> None:
        self._reader = reader
        self._writer = writer

    def all(self, mailbox: str | None = None) -> list[str]:
        """Every tag in use (in `mailbox`), sorted case-insensitively."""
        if mailbox is None:
            rows = self._reader().execute("SELECT DISTINCT tag FROM message_tags").fetchall()
        else:
            rows = (
                self._reader()
                .execute(
                    "SELECT DISTINCT t.tag FROM message_tags t JOIN messages m ON m.seq = t.seq "
                    "WHERE m.mailbox = ?",
                    (mailbox,),
                )
                .fetchall()
            )
        return sorted({r[0] for r in rows}, key=str.casefold)

    def counts(self) -> dict[str, int]:
        """Tag -> number of messages carrying it."""
        rows = (
            self._reader().execute("SELECT tag, count(*) FROM message_tags GROUP BY tag").fetchall()
        )
        return {r[0]: int(r[1]) for r in rows}

    async def set(self, ids: list[str], tags: list[str]) -> int:
        """Replace the tags of the given messages; returns how many messages were found."""
        clean = list(dict.fromkeys(t.strip() for t in tags if t.strip()))
        return await self._writer.run(lambda tx: self._set(tx, ids, clean))

    def _set(self, tx: Tx, ids: list[str], tags: list[str]) -> int:
        found: list[tuple[int, str]] = []
        for chunk in chunks(ids):
            marks = ",".join("?" * len(chunk))
            where, params = scope(None, f"m.id IN ({marks})", tuple(chunk))
            found += tx.execute(f"SELECT m.seq, m.id FROM messages m WHERE {where}", params)
        for seq, _ in found:
            tx.execute("DELETE FROM message_tags WHERE seq = ?", (seq,))
            tx.conn.executemany(
                "INSERT OR IGNORE INTO message_tags (seq, tag) VALUES (?, ?)",
                [(seq, t) for t in tags],
            )
        if found:
            tx.emit(MessagesUpdated(tuple(i for _, i in found), tags=True))
        return len(found)

    async def rename(self, old: str, new: str) -> int:
        """Rename a tag on every message; a message carrying both keeps one."""
        new = new.strip()
        if not new:
            raise InvalidInputError("the new tag name is empty", "Name")

        def job(tx: Tx) -> int:
            if new != old:
                tx.execute(
                    "DELETE FROM message_tags WHERE tag = ? AND seq IN "
                    "(SELECT seq FROM message_tags WHERE tag = ?)",
                    (old, new),
                )
            changed = int(
                tx.execute("UPDATE message_tags SET tag = ? WHERE tag = ?", (new, old)).rowcount
            )
            if changed:
                tx.emit(MessagesUpdated(None, tags=True))
            return changed

        return await self._writer.run(job)

    async def delete(self, tag: str) -> int:
        """Remove a tag from every message."""

        def job(tx: Tx) -> int:
            changed = int(tx.execute("DELETE FROM message_tags WHERE tag = ?", (tag,)).rowcount)
            if changed:
                tx.emit(MessagesUpdated(None, tags=True))
            return changed

        return await self._writer.run(job)
