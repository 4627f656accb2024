"""The emulators' part of the running service: their repository, the SigV4 verifier, the limits
from the settings, and the Resend scheduler, opened in the lifespan beside the other services.

    async with open_emulators(settings, store, clock) as emulators:
        ...  # handlers reach it as services(request).emulators
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from mailyard.sandbox import Clock, Emulation, Limits, Store, load_credentials
from mailyard.web.emulate.resend_schedule import ResendScheduler
from mailyard.web.emulate.sigv4 import SigV4Verifier
from mailyard.web.settings import Settings

LABEL_PREFIX = "resend-"
LABEL_HEX = 12  # 48 bits of the keyed hash: distinct keys never share a mailbox in practice


@dataclass
class Emulators:
    """What the SES and Resend routes need, for the life of the service."""

    repo: Emulation
    verifier: SigV4Verifier
    ses_sandbox: bool
    account_id: str
    ses_limits: Limits
    resend_limits: Limits
    scheduler: ResendScheduler
    label_key: bytes = field(repr=False)
    rng: random.Random = field(default_factory=random.Random)
    # Resend idempotency keys whose first request is still being answered: (mailbox, key)
    in_flight: set[tuple[str, str]] = field(default_factory=set)

    def resend_mailbox(self, api_key: str) -> str:
        """The mailbox of a Resend API key: a keyed hash of it, never the key itself, the same
        for the life of the database (the key is the store's per-install HMAC key)."""
        digest = hmac.new(self.label_key, api_key.encode("utf-8"), hashlib.sha256).hexdigest()
        return LABEL_PREFIX + digest[:LABEL_HEX]


def ses_limits(settings: Settings) -> Limits:
    return Limits(
        rate=settings.ses_max_send_rate or None, daily=settings.ses_max_24_hour_send or None
    )


def resend_limits(settings: Settings) -> Limits:
    return Limits(
        rate=settings.resend_rate_limit or None, daily=settings.resend_daily_quota or None
    )


def verifier(settings: Settings) -> SigV4Verifier:
    if settings.sigv4 != "strict" or not settings.sigv4_credentials_file:
        return SigV4Verifier()
    return SigV4Verifier(load_credentials(settings.sigv4_credentials_file), strict=True)


@contextlib.asynccontextmanager
async def open_emulators(
    settings: Settings, store: Store, clock: Clock
) -> AsyncIterator[Emulators]:
    """Build the emulators' state; re-arm the Resend emails scheduled before a restart."""
    repo = Emulation(store.reader, store.writer)
    scheduler = ResendScheduler(repo, store, clock)
    scheduler.start()
    try:
        yield Emulators(
            repo=repo,
            verifier=verifier(settings),
            ses_sandbox=settings.ses_sandbox,
            account_id=settings.aws_account_id,
            ses_limits=ses_limits(settings),
            resend_limits=resend_limits(settings),
            scheduler=scheduler,
            label_key=store.log_key,
        )
    finally:
        await scheduler.close()
