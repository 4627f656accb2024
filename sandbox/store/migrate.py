"""The database schema, as numbered, append-only migrations in `migrations/NNNN_name.sql`.

Never edit a migration that has shipped: add a new file with the next number. Each runs once,
in its own transaction, and is recorded in `_migrations`; a crash mid-migration leaves the
previous schema intact. A test upgrades a database made by mailyard 0.1.0 to the newest schema.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from importlib import resources

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[str, str]]:
    """(name, script) of every migration shipped, in order; names are the file stems."""
    folder = resources.files(__package__).joinpath("migrations")
    found = []
    for entry in folder.iterdir():
        if _NAME.match(entry.name):
            found.append((entry.name.removesuffix(".sql"), entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [int(name[:4]) for name, _ in found]
    if len(set(numbers)) != len(numbers):
        raise RuntimeError(f"two migrations share a number: {numbers}")
    return found


def split_statements(script: str) -> list[str]:
    """Split a migration script into statements (triggers keep their inner semicolons)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip() and not all(
        line.strip().startswith("--") or not line.strip() for line in current.splitlines()
    ):
        raise RuntimeError(f"incomplete statement in a migration: {current!r}")
    return statements


def migrate(conn: sqlite3.Connection, now: float) -> list[str]:
    """Apply every migration not yet recorded; return the names applied.

    `conn` must be in autocommit mode (isolation_level=None): each migration is one explicit
    transaction.
    """
    conn.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    done = {row[0] for row in conn.execute("SELECT name FROM _migrations")}
    applied = []
    stamp = datetime.fromtimestamp(now, UTC)
    for name, script in migrations():
        if name in done:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in split_statements(script):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO _migrations(name, applied_at) VALUES (?, ?)",
                (name, stamp.isoformat()),
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        applied.append(name)
    return applied
