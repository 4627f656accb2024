"""Running the service: bind both listeners, then serve the app on one asyncio loop with uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import resource
import signal
import socket
import threading
import time
from types import FrameType
from typing import Any, cast

import uvicorn

from mailyard.sandbox import Redactor, Store, listen
from mailyard.web import logs
from mailyard.web.app import create_app
from mailyard.web.http_guard import ConnectionGuard, guarded_protocol
from mailyard.web.services import Services
from mailyard.web.settings import Settings, unread_mailpit_variables
from mailyard.web.warmup import warm_up


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
    auth = services.auth
    if auth is not None:
        # Before the ready line: whoever waits for "ready" can already read the token.
        token = (
            f"admin token {auth.admin_token}"
            if auth.token_generated
            else "admin token from MAILYARD_ADMIN_TOKEN"
        )
        print(f"mailyard auth service: links on {auth.public_url}, {token}", flush=True)
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
    logs.configure(
        "warning" if settings.quiet else settings.log_level,
        quiet_smtp_library=settings.log_level != "debug" or settings.quiet,
        redact=Redactor(settings.secrets()),
    )
    if settings.host in ("0.0.0.0", "::", "") and not settings.ui_auth_file:  # noqa: S104
        logging.getLogger("mailyard").warning(
            "listening on every address (--host %s) without --ui-auth-file: anyone who can "
            "reach this machine can read and delete the captured mail",
            settings.host or "''",
        )
    unread = unread_mailpit_variables()
    if unread:
        logging.getLogger("mailyard").warning(
            "ignoring %s: Mailpit's, with no mailyard equivalent (mailyard serve --help lists "
            "the MP_ names it reads)",
            ", ".join(unread),
        )
    settings = fit_descriptor_limit(settings)
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
        warm_up()  # what first requests would load on the event loop, loaded beside it

    app = create_app(
        settings,
        smtp_socket=smtp_sock,
        http_port=int(http_sock.getsockname()[1]),
        on_ready=ready,
    )
    guard = ConnectionGuard(settings.http_max_connections, settings.http_header_timeout)
    config = uvicorn.Config(
        app,
        http=guarded_protocol(guard),
        # asyncio's own loop, always: uvicorn's default picks uvloop whenever it is installed
        # (uvicorn[standard] brings it), and the SMTP sink, the writer and the webhook client
        # are built and tested on asyncio's transports (uvloop's are not asyncio.Transport).
        loop="asyncio",
        ws=cast("type[asyncio.Protocol]", _websocket_protocol),  # uvicorn only calls it
        log_level="warning",
        log_config=None,  # keep our handler (and its repeat filter)
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    server = _Server(config)
    holder.append(server)
    if settings.exit_with_parent:
        _watch_parent(os.getppid())
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


def _watch_parent(parent: int, every: float = 0.5) -> None:
    """SIGTERM ourselves (a graceful stop) once `parent` is gone: an orphan is adopted by
    another process, so the parent id changes. A thread, so a busy loop cannot delay it."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        logging.getLogger("mailyard").warning(
            "the process that started mailyard (pid %d) has exited: stopping (--exit-with-parent)",
            parent,
        )
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="mailyard-parent-watch", daemon=True).start()


def _websocket_protocol(*args: Any, **kwargs: Any) -> asyncio.Protocol:
    """uvicorn's WebSocket protocol (its "auto" choice), imported on the first upgrade: the
    `websockets` library is ~5 % of the cold start, and most runs never open `/api/events`."""
    from uvicorn.protocols.websockets.auto import AutoWebSocketsProtocol

    if AutoWebSocketsProtocol is None:  # neither websockets nor wsproto is installed
        raise RuntimeError("WebSocket support needs the websockets package")
    return AutoWebSocketsProtocol(*args, **kwargs)


RESERVED_DESCRIPTORS = 64  # the database, its WAL, logs, outbound connections


def fit_descriptor_limit(settings: Settings) -> Settings:
    """Raise the open-file limit as far as allowed, and keep both connection caps under it: a
    service that runs out of descriptors stops accepting anything and can only log about it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
    room = max(2, soft - RESERVED_DESCRIPTORS)
    wanted = settings.smtp_max_connections + settings.http_max_connections
    if wanted <= room:
        return settings
    smtp = max(1, room * settings.smtp_max_connections // wanted)
    http = max(1, room - smtp)
    logging.getLogger("mailyard").warning(
        "the open-file limit is %d: capping connections at %d SMTP and %d HTTP "
        "(raise it with ulimit -n to allow more)",
        soft,
        smtp,
        http,
    )
    return settings.replace(smtp_max_connections=smtp, http_max_connections=http)


def _check_store(settings: Settings) -> None:
    if settings.db != ":memory:":
        Store(settings.db, synchronous=settings.db_sync).open_and_close()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
