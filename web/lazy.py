"""Handlers imported on their first request, so that `mailyard serve` is ready before the code
of every route is loaded (issue 10: the handler modules were a third of the cold start, with
the libraries they import: httpx, the HTML checker, the SES v1 parser).

    checks = handlers("mailyard.web.api.checks")
    resource("/api/v1/message/{id}/html-check", GET=checks.html_check)

`checks.html_check` is a `LazyHandler`: calling it imports the module (once) and calls the
function of that name. What `web.api.describe` attached to the function (its OpenAPI
description, its error style) is read through it, importing the module then: the OpenAPI
document and an error's rendering see the handler as it is. Only `web.routes.resource` takes
them: its dispatcher is a function, as Starlette needs.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mailyard.web.api.describe import ATTRIBUTE, ERRORS

Handler = Callable[[Request], Awaitable[Response]]
FORWARDED = frozenset({ATTRIBUTE, ERRORS})  # what `web.api.describe` sets on a handler


class LazyHandler:
    """The handler `name` of `module`, imported when first called or described."""

    def __init__(self, module: str, name: str) -> None:
        self.__name__ = name
        self.__module__ = module
        self._handler: Handler | None = None

    def resolve(self) -> Handler:
        """The handler itself (importing its module the first time)."""
        if self._handler is None:
            found = getattr(importlib.import_module(self.__module__), self.__name__)
            if not callable(found):
                raise TypeError(f"{self.__module__}.{self.__name__} is not a handler")
            self._handler = found
        return self._handler

    async def __call__(self, request: Request) -> Response:
        return await (await self.loaded())(request)

    async def loaded(self) -> Handler:
        """`resolve`, the first import on a thread: a handler module and what it imports can
        take tens of milliseconds to load, which on the event loop would stall everything."""
        if self._handler is None and self.__module__ not in sys.modules:
            await asyncio.to_thread(importlib.import_module, self.__module__)
        return self.resolve()

    def __getattr__(self, name: str) -> object:
        # Called only for attributes the instance lacks: the handler's description.
        if name in FORWARDED:
            return getattr(self.resolve(), name)
        raise AttributeError(name)

    def __repr__(self) -> str:
        state = "loaded" if self._handler is not None else "not loaded"
        return f"<handler {self.__module__}.{self.__name__} ({state})>"


class LazyModule:
    """A handler module not imported yet: its attributes are `LazyHandler`s."""

    def __init__(self, module: str) -> None:
        self._module = module

    def __getattr__(self, name: str) -> LazyHandler:
        if name.startswith("_"):
            raise AttributeError(name)
        return LazyHandler(self._module, name)


_KNOWN: dict[str, bool] = {}  # every handler module named so far: whether to warm it up


def handlers(module: str, *, warm: bool = True) -> LazyModule:
    """The handlers of `module` (a dotted name), each imported on its first use, or before by
    `web.warmup` unless `warm` is False (a module too big to hold for a request that may never
    come: its first request imports it on a thread)."""
    _KNOWN[module] = _KNOWN.get(module, True) and warm
    return LazyModule(module)


def modules() -> tuple[str, ...]:
    """The handler modules named with `handlers` so far that `web.warmup` loads."""
    return tuple(name for name, warm in _KNOWN.items() if warm)


def as_function(handler: LazyHandler) -> Callable[[Any], Awaitable[Any]]:
    """`handler` as a function of the same name, for Starlette's `Route` and `WebSocketRoute`
    (which treat any other callable as an ASGI app). For the pages and the event socket: what
    `web.api.describe` attaches is read from `resource` routes only."""

    async def endpoint(connection: Any) -> Any:
        return await (await handler.loaded())(connection)

    endpoint.__name__ = endpoint.__qualname__ = handler.__name__
    return endpoint
