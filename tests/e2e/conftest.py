"""The end-to-end tier: the real `mailyard serve` process, over the wire."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from support.servers import Process, start_process


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:  # type: ignore[override]
    srv = start_process(tmp_path_factory.mktemp("server"))
    yield srv
    code = srv.stop()
    assert code == 0, srv.output()


@pytest.fixture
def api(server: Process) -> Iterator[httpx.Client]:
    with server.api() as client:
        yield client
