"""A full disk, for real: a 6 MB tmpfs. Deletes still work and make room, mail is refused
meanwhile (never half-stored), and ingest resumes by itself once the disk has room again."""

from __future__ import annotations

import asyncio
import base64
import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.tmpfs import mounted_tmpfs

from mailyard.sandbox import Envelope, Store
from mailyard.sandbox.errors import StorageFullError
from mailyard.sandbox.store.space import Space

MB = 1024 * 1024


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A real 6 MB file system (tmpfs), so that writes fail with ENOSPC as on a full disk."""
    with mounted_tmpfs(tmp_path / "disk", megabytes=6) as mount:
        yield mount


def message(i: int, size: int = 30_000) -> bytes:
    """About `size` bytes that do not compress (a full disk is bytes, not pages of zeros), as
    an attachment: the search index holds the text part only."""
    data = base64.encodebytes(random.Random(i).randbytes(size * 3 // 4)).replace(b"\n", b"\r\n")
    return (
        b"From: a@example.com\r\nTo: b@example.com\r\nSubject: m%d\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n"
        b"Content-Type: text/plain\r\n\r\nyour report\r\n--B\r\n"
        b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"%s--B--\r\n" % (i, data)
    )


async def test_deletes_work_on_a_full_disk_and_ingest_resumes_by_itself(disk: Path) -> None:
    filler = disk / "someone-elses-file"
    filler.write_bytes(b"x" * (2 * MB))  # what the user frees later
    store = Store(str(disk / "m.db"), wal_limit=MB)
    store.open()
    try:
        space = store.space
        assert space is not None and space.held() == MB  # the reserve is kept: the WAL limit
        acked: list[str] = []
        refused = 0
        for i in range(400):  # 400 x 30 KB: far more than the disk holds
            try:
                acked.append(
                    (await store.messages.ingest(message(i), Envelope("a@x", ("b@x",)))).id
                )
            except StorageFullError:
                refused += 1
                if refused == 3:
                    break
        assert refused == 3 and len(acked) > 20
        assert space.full and space.held() == 0  # the reserve was given up for deletes

        # Deletes work while full, and the room they make takes mail again.
        assert await store.messages.delete(acked[:10]) == 10
        deleted, acked = set(acked[:10]), acked[10:]
        # (Once the checkpointer has folded the WAL back: until then its end is the disk's end.)
        for _ in range(100):
            try:
                stored = await store.messages.ingest(message(1000), Envelope("a@x", ("b@x",)))
            except StorageFullError:
                await _tick()
                continue
            acked.append(stored.id)
            break
        assert acked[-1] == stored.id

        # The user frees space elsewhere on the disk: the reserve comes back, the database
        # may grow again, and mail is accepted without a restart.
        filler.unlink()
        for i in range(2000, 2200):
            try:
                acked.append(
                    (await store.messages.ingest(message(i, 2000), Envelope("a@x", ("b@x",)))).id
                )
                if not space.full:
                    break
            except StorageFullError:
                pass
            await _tick()
        assert not space.full and space.held() == MB
        for i in range(3000, 3020):  # more than the pages deletes freed: the file grows again
            acked.append((await store.messages.ingest(message(i), Envelope("a@x", ("b@x",)))).id)
    finally:
        store.close()
    conn = sqlite3.connect(disk / "m.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    ids = {row[0] for row in conn.execute("SELECT id FROM messages")}
    assert set(acked) <= ids and not ids & deleted  # nothing acknowledged is lost


async def test_deleting_everything_works_on_a_full_disk(disk: Path) -> None:
    """The inbox's "Delete all" on a full disk: the largest delete there is."""
    store = Store(str(disk / "m.db"), wal_limit=MB)
    store.open()
    try:
        stored = 0
        for i in range(400):
            try:
                await store.messages.ingest(message(i), Envelope("a@x", ("b@x",)))
                stored += 1
            except StorageFullError:
                break
        assert stored > 20 and store.space is not None and store.space.full
        assert await store.messages.delete() == stored
        assert store.messages.totals() == (0, 0)
        # The room it made inside the database takes mail again, the disk still full.
        for _ in range(100):
            try:
                await store.messages.ingest(message(1000), Envelope("a@x", ("b@x",)))
                break
            except StorageFullError:
                await _tick()
        assert store.messages.totals() == (1, 1)
    finally:
        store.close()


async def _tick() -> None:
    """A pause in a bounded wait for the checkpointer's thread to look at the WAL and the disk
    (it does every 0.1 s)."""
    await asyncio.sleep(0.05)


def test_the_reserve_is_kept_only_with_room_to_spare_and_given_back_once_room_returns(
    tmp_path: Path,
) -> None:
    """The ballast's rules, on any disk (the free space told by the test)."""
    room = {"free": MB}  # less than twice the reserve
    space = Space(str(tmp_path / "m.db"), reserve=MB, free=lambda _: room["free"])
    assert not space.keep() and space.held() == 0  # a nearly full disk is not filled by it
    room["free"] = 2 * MB
    assert space.keep() and space.held() == MB
    space.exhausted()  # a write hit SQLITE_FULL
    assert space.full and space.held() == 0 and space.releases == 1
    space.exhausted()  # told again while full: nothing more to give
    assert space.releases == 1
    room["free"] = 2 * MB - 1
    assert not space.recover() and space.full  # not yet room for the reserve and more
    room["free"] = 2 * MB
    assert space.recover() and not space.full and space.held() == MB
    space.drop()
    assert space.held() == 0
