"""A real, small file system (tmpfs) for tests of a full disk: writes on it fail with ENOSPC
as they do on a full disk, which no mock of the store's own code would show.

    @pytest.fixture
    def disk(tmp_path: Path) -> Iterator[Path]:
        with mounted_tmpfs(tmp_path / "disk", megabytes=6) as mount:
            yield mount
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def mounted_tmpfs(mount: Path, megabytes: int = 6) -> Iterator[Path]:
    """`mount` (created) holding a tmpfs of `megabytes`, unmounted on the way out.

    Mounting needs root (CI runs the suite as root) and a kernel that lets this container
    mount; anywhere else the calling test is skipped with the reason it did not run."""
    mount.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip(f"mounting a {megabytes} MB tmpfs needs root")
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(mount)],
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        pytest.skip(f"no mount command to make a {megabytes} MB tmpfs with")
    if done.returncode != 0:
        pytest.skip(f"cannot mount a {megabytes} MB tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
