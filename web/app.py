"""The Starlette application and its lifespan: the store and the SMTP sink open and close here."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from mailyard.sandbox.capture.credentials import load_credentials, server_tls_context
from mailyard.sandbox.capture.smtp import SinkHandler, SMTPConfig, listen, start_smtp
from mailyard.sandbox.notify import Notifier
from mailyard.sandbox.outbound.mailer import Mailer
from mailyard.sandbox.outbound.routing import DeliveryConfig
from mailyard.sandbox.store import Retention, Store
from mailyard.senders import is_loopback
from mailyard.web.api import delivery as api_delivery
from mailyard.web.api import email_test as api_email_test
from mailyard.web.api import info as api_info
from mailyard.web.api import message as api_message
from mailyard.web.api import messages as api_messages
from mailyard.web.api import openapi
from mailyard.web.api import send as api_send
from mailyard.web.api import tags as api_tags
from mailyard.web.delivery import build_mailer, config_from_env
from mailyard.web.errors import EXCEPTION_HANDLERS
from mailyard.web.middleware.guard import CrossSiteGuard
from mailyard.web.middleware.hosts import TrustedHosts, allowed_hosts
from mailyard.web.settings import Settings
from mailyard.web.ui import pages as ui

log = logging.getLogger("mailyard")

PRUNE_EVERY = 60.0


@dataclass
class Context:
    """What the routes need, handed to them when the app is built (no module-level state)."""

    settings: Settings
    started: float = field(default_factory=time.time)
    store: Store | None = None
    notifier: Notifier = field(default_factory=Notifier)
    smtp: SinkHandler | None = None
    smtp_port: int = 0
    http_port: int = 0
    delivery: DeliveryConfig = field(default_factory=DeliveryConfig)
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    _mailer: Mailer | None = None

    @property
    def sink_host(self) -> str:
        """Where this process reaches its own SMTP sink (loopback when bound to every address)."""
        wildcard = self.settings.host in ("0.0.0.0", "::", "")  # noqa: S104 - recognising, not binding
        return "127.0.0.1" if wildcard else self.settings.host

    def mailer(self) -> Mailer:
        """The mailer for sends this server makes; sandbox mode means this server's own sink."""
        if self._mailer is None:
            config = self.delivery
            if config.mode == "sandbox":
                config = replace(config, sandbox_host=self.sink_host, sandbox_port=self.smtp_port)
            self._mailer = build_mailer(config, self.db)
        return self._mailer

    @property
    def db(self) -> Store:
        assert self.store is not None, "the store is opened by the app's lifespan"
        return self.store


def smtp_config(settings: Settings) -> SMTPConfig:
    tls = None
    if settings.smtp_tls_cert or settings.smtp_tls_key:
        tls = server_tls_context(settings.smtp_tls_cert or "", settings.smtp_tls_key or "")
    credentials = load_credentials(settings.smtp_auth_file) if settings.smtp_auth_file else None
    return SMTPConfig(
        max_size=settings.smtp_max_size,
        max_recipients=settings.smtp_max_recipients,
        max_connections=settings.smtp_max_connections,
        tls_context=tls,
        implicit_tls=settings.smtp_tls_implicit and tls is not None,
        require_tls=settings.smtp_require_tls,
        credentials=credentials,
        auth_required=settings.smtp_auth_required,
        auth_require_tls=not is_loopback(settings.host),
    )


def create_app(
    settings: Settings,
    *,
    smtp_socket: socket.socket | None = None,
    http_port: int = 0,
    on_ready: Callable[[Context], None] | None = None,
) -> Starlette:
    """Build the app. The SMTP sink serves `smtp_socket`, or a new one from the settings."""
    context = Context(settings=settings, http_port=http_port, delivery=config_from_env())
    config = smtp_config(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        store = Store(
            settings.db,
            synchronous=settings.db_sync,
            retention=Retention(settings.max_messages, settings.max_age),
            on_commit=context.notifier.publish,
        )
        store.open()
        sock = smtp_socket or listen(settings.host, settings.smtp_port)
        server, handler = await start_smtp(store, config, sock)
        context.store, context.smtp = store, handler
        context.smtp_port = int(sock.getsockname()[1])
        pruner = asyncio.create_task(_prune_forever(store)) if settings.max_age else None
        if on_ready is not None:
            on_ready(context)
        try:
            yield
        finally:
            context.notifier.close()  # ends live streams and long polls now, not at a timeout
            server.close()
            if pruner is not None:
                pruner.cancel()
            store.close()
            context.store = None

    routes: list[BaseRoute] = [
        *api_messages.routes(context),
        *api_message.routes(context),
        *api_tags.routes(context),
        *api_info.routes(context),
        *api_delivery.routes(context),
        *api_email_test.routes(context),
        *api_send.routes(context),
        *ui.routes(context),
    ]
    routes.append(openapi.route(routes))
    hosts = allowed_hosts(settings.host, settings.allowed_hosts)
    ui_credentials = load_credentials(settings.ui_auth_file) if settings.ui_auth_file else None
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[
            Middleware(TrustedHosts, allowed=hosts),
            Middleware(CrossSiteGuard, secret=context.secret, credentials=ui_credentials),
        ],
    )


async def _prune_forever(store: Store) -> None:
    while True:
        try:
            removed = await store.prune_by_age()
            if removed:
                log.info(
                    "retention: removed %d messages older than %ss",
                    removed,
                    store.retention.max_age,
                )
        except Exception:
            log.exception("retention pruning failed")
        await asyncio.sleep(PRUNE_EVERY)
