"""Room on the disk for the store: a ballast file that keeps space back for deletes, and the
full-disk state the writer and the checkpointer share.

Once the disk is full every write fails, deletes included: a delete needs room in the WAL for
the pages it changes, and before the WAL can start over a checkpoint needs room to copy the
WAL's new pages into the database file. So while there is room the store keeps a ballast file of
`reserve` bytes beside the database. When a write fails with SQLITE_FULL:

1. the ballast is deleted: its room is for deletes and checkpoints;
2. the database may not grow any more (the writer sets `max_page_count` to its size), so that
   ingest cannot take that room: mail still goes where deletes made room inside the file, other
   mail is refused (SMTP `452 4.3.1`, API `503 storage_full`);
3. once the disk has twice the ballast's size free again (a user freed space), the ballast is
   allocated again and the database may grow: ingest resumes by itself, without a restart.

The ballast is allocated only when twice its size is free, so that a nearly full disk at start
is not made full by it; a store without its ballast still refuses growth once full.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
from collections.abc import Callable

log = logging.getLogger("mailyard.store")

CHUNK = 1 << 20  # written in chunks where the file system cannot preallocate


def free_bytes(folder: str) -> int:
    """Bytes an unprivileged process may still write in `folder`'s file system."""
    stat = os.statvfs(folder)
    return stat.f_bavail * stat.f_frsize


class Space:
    """The ballast beside the database at `db_path`, and whether the disk is full."""

    def __init__(
        self,
        db_path: str,
        reserve: int,
        *,
        free: Callable[[str], int] = free_bytes,
    ) -> None:
        self.ballast = db_path + "-ballast"
        self.folder = os.path.dirname(os.path.abspath(db_path))
        self.reserve = reserve
        self._free = free
        self.full = False
        self.releases = 0  # times the ballast was given up (a measure for tests and logs)

    def free(self) -> int:
        return self._free(self.folder)

    def held(self) -> int:
        """Bytes the ballast holds now."""
        try:
            return os.path.getsize(self.ballast)
        except OSError:
            return 0

    def keep(self) -> bool:
        """Allocate the ballast if it is missing and the disk has twice its size free."""
        if self.reserve <= 0 or self.held() >= self.reserve:
            return True
        if self.free() < 2 * self.reserve:
            return False
        try:
            _allocate(self.ballast, self.reserve)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(self.ballast)
            log.warning("cannot keep %d bytes of reserve in %s: %s", self.reserve, self.folder, exc)
            return False
        return True

    def drop(self) -> None:
        """Remove the ballast (the store is closing; it is made again at the next open)."""
        with contextlib.suppress(OSError):
            os.unlink(self.ballast)

    def exhausted(self) -> None:
        """A write hit SQLITE_FULL: give up the ballast, and stop the database growing."""
        if not self.full:
            log.error(
                "the disk holding %s is full: new mail is refused until space is freed "
                "(deleting messages works and makes room)",
                self.folder,
            )
        self.full = True
        if self.held():
            with contextlib.suppress(OSError):
                os.unlink(self.ballast)
            self.releases += 1

    def recover(self) -> bool:
        """While full: whether the disk has room again (the ballast is back); then not full."""
        if not self.full:
            return True
        if self.reserve > 0 and self.free() < 2 * self.reserve:
            return False
        if not self.keep():
            return False
        self.full = False
        log.warning("the disk holding %s has room again: accepting mail", self.folder)
        return True


def _allocate(path: str, size: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        try:
            os.posix_fallocate(fd, 0, size)
        except OSError as exc:
            if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL):  # no preallocation here
                raise
            zeros = bytes(CHUNK)
            for offset in range(0, size, CHUNK):
                os.pwrite(fd, zeros[: min(CHUNK, size - offset)], offset)
        os.fsync(fd)
    finally:
        os.close(fd)
