"""The end-to-end tier: the real `mailyard serve` process, over the wire."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from support import chromium
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


# -- the browser tier (Debian's Chromium through Playwright) ------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    pytest.importorskip("playwright.sync_api")
    with chromium.launched() as launched:
        yield launched


@pytest.fixture(params=["desktop", "phone"])
def viewport(request: pytest.FixtureRequest) -> dict[str, int]:
    return chromium.DESKTOP if request.param == "desktop" else chromium.PHONE


@pytest.fixture
def tab(browser: Any, viewport: dict[str, int]) -> Iterator[chromium.Page]:
    with chromium.clean_tab(browser, viewport) as page:
        yield page


@pytest.fixture
def desktop(browser: Any) -> Iterator[chromium.Page]:
    with chromium.clean_tab(browser, chromium.DESKTOP) as page:
        yield page
