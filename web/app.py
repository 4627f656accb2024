"""The Starlette application: the route table, the middleware, the error surfaces, and the
lifespan that opens the services (store, bus, SMTP sink, ...) and closes them in reverse."""

from __future__ import annotations

import contextlib
import secrets
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware

from mailyard.sandbox import Clock, SMTPConfig, load_credentials, server_tls_context
from mailyard.senders import is_loopback
from mailyard.web.api.surface import MailpitSurface
from mailyard.web.errors import DEFAULT_SURFACES, exception_handlers
from mailyard.web.middleware.cors import CORS, CORSPolicy
from mailyard.web.middleware.guard import CrossSiteGuard
from mailyard.web.middleware.hosts import TrustedHosts, allowed_hosts
from mailyard.web.middleware.slices import SlicedBodies
from mailyard.web.routes import routes_for
from mailyard.web.services import Services, open_services
from mailyard.web.settings import Settings


def smtp_config(settings: Settings) -> SMTPConfig:
    """The SMTP sink's configuration (reads the TLS and credential files it names)."""
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
        timeout=settings.smtp_idle_timeout,
    )


def create_app(
    settings: Settings,
    *,
    smtp_socket: socket.socket | None = None,
    http_port: int = 0,
    clock: Clock | None = None,
    on_ready: Callable[[Services], None] | None = None,
) -> Starlette:
    """Build the app from the settings alone: it reads nothing from the environment.

    The SMTP sink serves `smtp_socket`, or a socket bound from the settings at start-up.
    Configuration files it names (TLS, credentials) are read here, so a bad one fails now.
    """
    config = smtp_config(settings)
    secret = secrets.token_bytes(32)
    ui_credentials = load_credentials(settings.ui_auth_file) if settings.ui_auth_file else None

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        async with open_services(
            settings,
            config,
            smtp_socket=smtp_socket,
            http_port=http_port,
            clock=clock,
            secret=secret,
        ) as services:
            if on_ready is not None:
                on_ready(services)
            yield {"services": services}

    return Starlette(
        routes=routes_for(settings),
        lifespan=lifespan,
        exception_handlers=exception_handlers((MailpitSurface(), *DEFAULT_SURFACES)),
        middleware=[
            Middleware(SlicedBodies),
            Middleware(TrustedHosts, allowed=allowed_hosts(settings.host, settings.allowed_hosts)),
            Middleware(CORS, policy=CORSPolicy.parse(settings.api_cors)),
            Middleware(
                CrossSiteGuard,
                secret=secret,
                credentials=ui_credentials,
                cors=CORSPolicy.parse(settings.api_cors),
            ),
        ],
    )
