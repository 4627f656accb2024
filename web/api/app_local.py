"""Objects that live as long as the app serving a request, made the first time one is asked for.

Caches and counters the API keeps for itself (the converted texts of HTML-only messages, the
metrics' search timings) belong to one app, not to the module: two apps in one process (tests
run many) never share them. They are kept on the app's own `state`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from starlette.requests import HTTPConnection

T = TypeVar("T")


def app_local(connection: HTTPConnection, name: str, make: Callable[[], T]) -> T:
    """The app's object called `name`, made with `make()` on first use."""
    state = connection.app.state
    found: T | None = getattr(state, name, None)
    if found is None:
        found = make()
        setattr(state, name, found)
    return found
