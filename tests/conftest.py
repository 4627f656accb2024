"""Shared fixtures. The default tier runs mailyard in this process (`InProcessServer`: the real
app, store and SMTP sink on loopback, requests through httpx.ASGITransport); tests/e2e/ runs
the real process over the wire."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from support.servers import start_inprocess

from mailyard.web.testing.inprocess import InProcessServer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    """One mailyard per test module; tests keep apart by mailbox."""
    srv = start_inprocess(tmp_path_factory.mktemp("server"))
    yield srv
    srv.stop()


@pytest.fixture
def api(server: InProcessServer) -> Iterator[httpx.Client]:
    with server.api() as client:
        yield client


@pytest.fixture
def mailbox() -> str:
    """A mailbox of this test's own: tests log in with it, so they never see each other's mail."""
    return "t-" + uuid.uuid4().hex[:12]
