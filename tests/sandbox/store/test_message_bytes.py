"""A message's bytes go in and come out through SQLite's blob handle (issue 9: bound as a value,
SQLite held two more copies of them), unchanged whatever their size. The memory saved is
SQLite's own, which tracemalloc does not see: `bench/hostile.py` measures it."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from mailyard.sandbox import Envelope, NotFoundError, Store


@pytest.mark.parametrize("size", [0, 1, 100_000, 3 * 1024 * 1024 + 7])
def test_bytes_come_back_exactly(tmp_path: Path, size: int) -> None:
    raw = b"Subject: s\r\n\r\n" + os.urandom(size) if size else b""
    with Store(str(tmp_path / "m.db")) as store:
        stored = store.messages.ingest_sync(raw, Envelope("s@example.com", ("a@example.com",)))
        assert store.messages.raw(stored.seq) == raw
        assert store.messages.get(stored.id).summary.size == len(raw)


def test_a_deleted_message_has_no_bytes(tmp_path: Path) -> None:
    with Store(str(tmp_path / "m.db")) as store:
        stored = store.messages.ingest_sync(
            b"Subject: s\r\n\r\nx", Envelope("s@e.com", ("a@e.com",))
        )
        asyncio.run(store.messages.delete([stored.id]))
        with pytest.raises(NotFoundError):
            store.messages.raw(stored.seq)
