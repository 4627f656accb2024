"""The reference auth service's tenants: themes (Theme Studio's) and the clients bound to them.

A theme row keeps only the fields it sets, as JSON of the renderer's `Theme` field names, so
resolution can fall back field by field; at most one theme is the service default (a partial
unique index holds that). Deleting a theme unbinds the clients that used it, in the same job.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from mailyard.sandbox.store.writer import Tx, Writer

MAX_LIST = 1000


@dataclass(frozen=True)
class ThemeRecord:
    id: str
    fields: dict[str, str]  # Theme field name -> value, only those set
    is_default: bool
    created: float
    updated: float


@dataclass(frozen=True)
class ClientRecord:
    id: str
    name: str
    theme_id: str | None
    self_signup: bool
    sign_in_url: str | None
    created: float
    updated: float


def _theme(row: sqlite3.Row) -> ThemeRecord:
    return ThemeRecord(
        id=row["id"],
        fields=dict(json.loads(row["fields"])),
        is_default=bool(row["is_default"]),
        created=float(row["created"]),
        updated=float(row["updated"]),
    )


def _client(row: sqlite3.Row) -> ClientRecord:
    return ClientRecord(
        id=row["id"],
        name=row["name"],
        theme_id=row["theme_id"],
        self_signup=bool(row["self_signup"]),
        sign_in_url=row["sign_in_url"],
        created=float(row["created"]),
        updated=float(row["updated"]),
    )


class TenantStore:
    """Themes and clients in the store's database."""

    def __init__(self, reader: Callable[[], sqlite3.Connection], writer: Writer) -> None:
        self._reader = reader
        self._writer = writer

    # -- themes -----------------------------------------------------------------------------

    def theme(self, theme_id: str) -> ThemeRecord | None:
        found = self._reader().execute("SELECT * FROM auth_themes WHERE id = ?", (theme_id,))
        row = found.fetchone()
        return _theme(row) if row else None

    def default_theme(self) -> ThemeRecord | None:
        found = self._reader().execute("SELECT * FROM auth_themes WHERE is_default = 1")
        row = found.fetchone()
        return _theme(row) if row else None

    def themes(self, *, limit: int = 100, offset: int = 0) -> list[ThemeRecord]:
        rows = self._reader().execute(
            "SELECT * FROM auth_themes ORDER BY created, id LIMIT ? OFFSET ?",
            (min(limit, MAX_LIST), offset),
        )
        return [_theme(row) for row in rows]

    async def save_theme(self, theme: ThemeRecord) -> ThemeRecord:
        """Insert or replace a theme; making it the default takes that from any other."""

        def job(tx: Tx) -> ThemeRecord:
            if theme.is_default:
                tx.execute("UPDATE auth_themes SET is_default = 0 WHERE is_default = 1")
            tx.execute(
                "INSERT INTO auth_themes (id, fields, is_default, created, updated) "
                "VALUES (?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET fields = excluded.fields, "
                "is_default = excluded.is_default, updated = excluded.updated",
                (
                    theme.id,
                    json.dumps(theme.fields, sort_keys=True),
                    int(theme.is_default),
                    theme.created,
                    theme.updated,
                ),
            )
            row = tx.execute("SELECT * FROM auth_themes WHERE id = ?", (theme.id,)).fetchone()
            return _theme(row)

        return await self._writer.run(job)

    async def delete_theme(self, theme_id: str, now: float) -> bool:
        def job(tx: Tx) -> bool:
            tx.execute(
                "UPDATE auth_clients SET theme_id = NULL, updated = ? WHERE theme_id = ?",
                (now, theme_id),
            )
            return tx.execute("DELETE FROM auth_themes WHERE id = ?", (theme_id,)).rowcount == 1

        return await self._writer.run(job)

    # -- clients ----------------------------------------------------------------------------

    def client(self, client_id: str) -> ClientRecord | None:
        found = self._reader().execute("SELECT * FROM auth_clients WHERE id = ?", (client_id,))
        row = found.fetchone()
        return _client(row) if row else None

    def clients(self, *, limit: int = 100, offset: int = 0) -> list[ClientRecord]:
        rows = self._reader().execute(
            "SELECT * FROM auth_clients ORDER BY created, id LIMIT ? OFFSET ?",
            (min(limit, MAX_LIST), offset),
        )
        return [_client(row) for row in rows]

    async def save_client(self, client: ClientRecord) -> ClientRecord:
        def job(tx: Tx) -> ClientRecord:
            tx.execute(
                "INSERT INTO auth_clients (id, name, theme_id, self_signup, sign_in_url, "
                "created, updated) VALUES (?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET "
                "name = excluded.name, theme_id = excluded.theme_id, "
                "self_signup = excluded.self_signup, sign_in_url = excluded.sign_in_url, "
                "updated = excluded.updated",
                (
                    client.id,
                    client.name,
                    client.theme_id,
                    int(client.self_signup),
                    client.sign_in_url,
                    client.created,
                    client.updated,
                ),
            )
            row = tx.execute("SELECT * FROM auth_clients WHERE id = ?", (client.id,)).fetchone()
            return _client(row)

        return await self._writer.run(job)

    async def delete_client(self, client_id: str) -> bool:
        return await self._writer.run(
            lambda tx: (
                tx.execute("DELETE FROM auth_clients WHERE id = ?", (client_id,)).rowcount == 1
            )
        )
