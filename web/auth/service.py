"""The reference auth service as the running mailyard holds it: built from the Settings, its
admin token, its rate limits (the admin's email-test; the public reset and signup
endpoints'), opened and closed with the other services.

The admin token is MAILYARD_ADMIN_TOKEN, or a random one made at start and printed beside the
ready line (`web.server.announce`): whoever can read mailyard's output is its admin.
"""

from __future__ import annotations

import contextlib
import hmac
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mailyard.sandbox import Clock, Mailer, PublicLimits, RateLimit, Store
from mailyard.web.settings import Settings

if TYPE_CHECKING:
    from mailyard.sandbox import AuthService, DeliveryHistory

PREVIEWS_PER_SEND = 6  # a preview renders, sends nothing: cheaper, so more are allowed


@dataclass
class AuthServices:
    """The auth service and what its routes need around it.

    The service itself (its flows, tenants, outbox and the modules behind them) is opened on
    first use, from a request on the event loop: `mailyard serve` is ready without them
    (issue 10); the token, the URL and the limits exist from the start."""

    public_url: str
    admin_token: str = field(repr=False)
    token_generated: bool  # made at start (and printed), not set by MAILYARD_ADMIN_TOKEN
    test_sends: RateLimit
    previews: RateLimit
    limits: PublicLimits  # the public reset and signup endpoints' (sandbox.auth.limits)
    opener: Callable[[], AuthService] = field(repr=False)
    opened: AuthService | None = field(default=None, repr=False)

    @property
    def service(self) -> AuthService:
        """The auth service, opened (and its outbox started) the first time it is asked for."""
        if self.opened is None:
            self.opened = self.opener()
            self.opened.start()
        return self.opened

    def is_admin(self, presented: str) -> bool:
        return hmac.compare_digest(presented.encode(), self.admin_token.encode())


def public_url(settings: Settings, http_port: int) -> str:
    """Where the emails' links point: --auth-public-url, else --public-url (the address
    receivers reach this mailyard at, which serves the auth service too), else this service's
    own address."""
    for given in (settings.auth_public_url, settings.public_url):
        if given:
            return given.rstrip("/")
    host = settings.host
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 - recognising, not binding
        host = "127.0.0.1"
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{http_port}"


@contextlib.asynccontextmanager
async def open_auth(
    settings: Settings,
    store: Store,
    mailer: Mailer,
    clock: Clock,
    *,
    http_port: int,
    history: Callable[[], DeliveryHistory] | None = None,
) -> AsyncIterator[AuthServices | None]:
    """The auth service for the life of the app (None with --no-auth-service). `history` makes
    the delivery history the service judges addresses by, when the service is opened."""
    if not settings.auth_service:
        yield None
        return
    url = public_url(settings, http_port)

    def opener() -> AuthService:
        from mailyard.sandbox import AuthConfig, AuthService  # on first use (issue 10)

        config = AuthConfig(
            public_url=url,
            email_verification=settings.auth_email_verification,
            reset_ttl=settings.auth_reset_ttl,
            verify_ttl=settings.auth_verify_ttl,
        )
        made = history() if history is not None else None
        return AuthService.open(store, mailer, clock, config, history=made)

    token = settings.admin_token or secrets.token_urlsafe(24)
    limit = settings.auth_email_test_limit
    # Rate limits follow real time, not the clock a test may move.
    services = AuthServices(
        public_url=url,
        admin_token=token,
        token_generated=settings.admin_token is None,
        test_sends=RateLimit(limit, 60.0, time.monotonic),
        previews=RateLimit(limit * PREVIEWS_PER_SEND, 60.0, time.monotonic),
        limits=PublicLimits(time.monotonic),
        opener=opener,
    )
    try:
        yield services
    finally:
        if services.opened is not None:
            await services.opened.close()
