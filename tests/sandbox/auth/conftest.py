"""Fixtures for the auth service's tests (see support/authrig.py for what they build)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from support.authrig import Rig, make_rig

from mailyard.sandbox.clock import Clock
from mailyard.sandbox.events import Bus, Event
from mailyard.sandbox.store import Store


@pytest.fixture
def events() -> list[Event]:
    """Every event the store published (after its commit), in order."""
    return []


@pytest.fixture
def store(tmp_path: Path, events: list[Event]) -> Iterator[Store]:
    bus = Bus()
    bus.listen(events.append)
    with Store(str(tmp_path / "auth.db"), clock=Clock.frozen(), publish=bus.publish) as store:
        yield store


@pytest.fixture
async def rig(store: Store, events: list[Event]) -> AsyncIterator[Rig]:
    made = make_rig(store, events)
    made.auth.start()
    yield made
    await made.auth.close()


@pytest.fixture
async def open_rig(store: Store, events: list[Event]) -> AsyncIterator[Rig]:
    """Email verification off: signup activates the account and welcomes at once."""
    made = make_rig(store, events, verification=False)
    made.auth.start()
    yield made
    await made.auth.close()
