"""mailyard running inside the test's own process: fast, and still real.

    server = InProcessServer.start(Settings(db=str(tmp_path / "m.db"), smtp_port=0))
    with server.api() as api:            # an httpx.Client; requests go through ASGITransport
        api.get("/api/v1/messages")
    smtplib.SMTP("127.0.0.1", server.smtp_port)   # the sink listens on a real loopback port
    server.stop()

The app and its services (store, bus, SMTP sink) run on an event loop in a background thread,
started through the app's own lifespan, exactly as `mailyard serve` runs them; HTTP requests
reach the app through `httpx.ASGITransport` without a socket. Use `ServerProcess`
(`web.testing.harness`) when the test is about the process itself (signals, kill -9, the CLI).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Any, TypeVar

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from mailyard.sandbox import Clock
from mailyard.web.app import create_app
from mailyard.web.services import Services
from mailyard.web.settings import Settings

T = TypeVar("T")
BASE_URL = "http://127.0.0.1"
START_TIMEOUT = 30.0


class _WithState:
    """Puts the lifespan's state into every request's scope, as a server does."""

    def __init__(self, app: ASGIApp, state: dict[str, Any]) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["state"] = dict(self.state)
        await self.app(scope, receive, send)


class _LoopTransport(httpx.BaseTransport):
    """A synchronous transport that runs each request on the server's loop."""

    def __init__(self, server: InProcessServer, transport: httpx.AsyncBaseTransport) -> None:
        self._server = server
        self._transport = transport

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def call() -> httpx.Response:
            response = await self._transport.handle_async_request(request)
            content = await response.aread()
            return httpx.Response(
                response.status_code,
                headers=response.headers,
                content=content,
                extensions=response.extensions,
            )

        # The body was streamed by httpx's sync client: read it into the request first.
        request.read()
        return self._server.call(call)


class InProcessServer:
    """The app, its lifespan and its services on a background event loop."""

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self._clock = clock
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._stop: asyncio.Event | None = None
        self._done: Future[None] = Future()
        self.services: Services | None = None
        self.app: ASGIApp | None = None

    @classmethod
    def start(cls, settings: Settings, clock: Clock | None = None) -> InProcessServer:
        server = cls(settings, clock)
        server._thread.start()
        ready: Future[None] = Future()
        asyncio.run_coroutine_threadsafe(server._serve(ready), server._loop)
        ready.result(START_TIMEOUT)
        return server

    async def _serve(self, ready: Future[None]) -> None:
        try:
            app = create_app(self.settings, clock=self._clock, on_ready=self._on_ready)
            self._stop = asyncio.Event()
            async with app.router.lifespan_context(app) as state:
                self.app = _WithState(app, dict(state or {}))
                ready.set_result(None)
                await self._stop.wait()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc)
            self._done.set_exception(exc)
            return
        self._done.set_result(None)

    async def _cancel_the_rest(self) -> None:
        current = asyncio.current_task()
        rest = [t for t in asyncio.all_tasks() if t is not current]
        for task in rest:
            task.cancel()
        await asyncio.gather(*rest, return_exceptions=True)

    def _on_ready(self, services: Services) -> None:
        self.services = services

    @property
    def smtp_port(self) -> int:
        assert self.services is not None
        return self.services.smtp_port

    @property
    def url(self) -> str:
        return BASE_URL

    def call(self, function: Callable[[], Awaitable[T]], timeout: float = 330.0) -> T:
        """Run a coroutine function on the server's loop and return its result."""

        async def run() -> T:
            return await function()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout)

    def api(self, **kwargs: Any) -> httpx.Client:
        """A client for the API and pages; no socket involved."""
        assert self.app is not None, "the server is not running"
        transport = _LoopTransport(self, httpx.ASGITransport(app=self.app))
        return httpx.Client(transport=transport, base_url=BASE_URL, timeout=30, **kwargs)

    def stop(self) -> None:
        """Close the services (in reverse order) and the loop, leaving no task behind."""
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._done.result(START_TIMEOUT)
        asyncio.run_coroutine_threadsafe(self._cancel_the_rest(), self._loop).result(START_TIMEOUT)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(START_TIMEOUT)
        # As asyncio.run ends a loop: the loop turns these take run what closing left scheduled
        # (a transport closed in the last turn closes its socket in connection_lost, one turn
        # later); closed without them, that socket would be collected unclosed, and its
        # ResourceWarning would fail whichever test happened to be running then.
        self._loop.run_until_complete(self._loop.shutdown_asyncgens())
        self._loop.run_until_complete(self._loop.shutdown_default_executor())
        self._loop.close()

    def __enter__(self) -> InProcessServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
