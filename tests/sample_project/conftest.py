"""The sample project's fixtures: its app, started as a process of its own and pointed at the
mailyard of the test session (`mailyard_server`, from mailyard's pytest plugin).

mailyard's own test suite walks into this folder too; there it collects nothing (the sample is
run as a project of its own by tests/e2e/test_pytest_plugin.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

HERE = Path(__file__).resolve().parent


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    return True if config.rootpath != HERE else None


@pytest.fixture(scope="session")
def app_url(mailyard_server) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app, as its own process, sending its mail to mailyard over SMTP."""
    env = {
        **os.environ,
        **mailyard_server.env(),
        "SMTP_HOST": mailyard_server.smtp_host,
        "SMTP_PORT": str(mailyard_server.smtp_port),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "web.app"], cwd=HERE, env=env, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # "sample app on http://127.0.0.1:PORT", or EOF if it died
    if not line.startswith("sample app on "):
        process.kill()
        raise RuntimeError(f"the sample app did not start: {line!r}")
    yield line.split()[-1]
    process.terminate()
    process.wait(timeout=10)
    process.stdout.close()


@pytest.fixture
def app(app_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app_url, timeout=10) as client:
        yield client
