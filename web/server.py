"""Running the service: bind both listeners, then serve the app on one asyncio loop with uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sys
from types import FrameType

import uvicorn

from mailyard.sandbox import Store, listen
from mailyard.web.app import create_app
from mailyard.web.services import Services
from mailyard.web.settings import Settings


class BindError(Exception):
    """A listener could not be opened; the message says which and why."""


def bind(kind: str, host: str, port: int, flag: str) -> socket.socket:
    try:
        return listen(host, port)
    except OSError as exc:
        hint = f" (use {flag} 0 for any free port)" if port else ""
        raise BindError(f"cannot listen for {kind} on {host}:{port}: {exc.strerror}{hint}") from exc


def announce(services: Services) -> None:
    """The line a person (or a test harness) reads to know where we listen."""
    host = services.settings.host
    shown = f"[{host}]" if ":" in host else host
    print(
        f"mailyard ready: SMTP on {shown}:{services.smtp_port}, "
        f"web and API on http://{shown}:{services.http_port}/ "
        f"(database {services.settings.db})",
        flush=True,
    )


class _Server(uvicorn.Server):
    """uvicorn, telling the app the moment a stop is asked for.

    uvicorn waits for open requests before the app's lifespan shutdown runs, so long polls and
    event streams would hold a Ctrl-C for the whole grace period; telling the services at the
    signal ends them at once.
    """

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.services: Services | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.services is not None and self.loop is not None:
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self.services.stopping)
        super().handle_exit(sig, frame)


def run(settings: Settings) -> None:
    """Serve until Ctrl-C or SIGTERM; both listeners are bound first so errors come early."""
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # aiosmtpd logs every command at INFO (and a deprecation warning of its own on each AUTH):
    # noise for a person and measurable CPU under load. Our handler logs what matters.
    if settings.log_level != "debug":
        logging.getLogger("mail.log").setLevel(logging.ERROR)
    _check_store(settings)  # a bad database is one clear line now, not a traceback at start-up
    with contextlib.ExitStack() as stack:
        smtp_sock = stack.enter_context(
            bind("SMTP", settings.host, settings.smtp_port, "--smtp-port")
        )
        http_sock = stack.enter_context(
            bind("HTTP", settings.host, settings.http_port, "--http-port")
        )
        _serve(settings, smtp_sock, http_sock)
    print("mailyard stopped", flush=True)


def _serve(settings: Settings, smtp_sock: socket.socket, http_sock: socket.socket) -> None:
    holder: list[_Server] = []

    def ready(services: Services) -> None:
        holder[0].services, holder[0].loop = services, asyncio.get_running_loop()
        announce(services)

    app = create_app(
        settings,
        smtp_socket=smtp_sock,
        http_port=int(http_sock.getsockname()[1]),
        on_ready=ready,
    )
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=5
    )
    server = _Server(config)
    holder.append(server)
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then raises the signal again; a stop we
    # asked for is a normal exit, so both end here as KeyboardInterrupt and exit 0.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.run(sockets=[http_sock])
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    if not server.started:
        raise SystemExit(1)


def _check_store(settings: Settings) -> None:
    if settings.db != ":memory:":
        Store(settings.db, synchronous=settings.db_sync).open_and_close()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
