"""The reference auth service, assembled: flows, invitations, tenants and the outbox over the
store, sending through the mailer.

    auth = AuthService.open(store, mailer, clock, AuthConfig(public_url="http://127.0.0.1:8025"))
    auth.start()                      # the outbox's worker (sends done after the answer)
    result = await auth.users.signup("jane@example.com", "correct horse")
    await auth.close()
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from mailyard.sandbox.auth.flows import UserFlows
from mailyard.sandbox.auth.history import (
    DeliveryHistory,
    MemoryDeliveryHistory,
    Standing,
    standing_of,
)
from mailyard.sandbox.auth.invitations import Invitations
from mailyard.sandbox.auth.outbox import Outbox
from mailyard.sandbox.auth.parts import AuthConfig, AuthParts
from mailyard.sandbox.auth.passwords import PasswordHasher
from mailyard.sandbox.auth.tenants import Tenants, new_uuid
from mailyard.sandbox.auth.tokens import TokenCodec
from mailyard.sandbox.clock import Clock
from mailyard.sandbox.outbound.mailer import Mailer
from mailyard.sandbox.store import Store
from mailyard.sandbox.store.accounts import Accounts
from mailyard.sandbox.store.tenants import TenantStore


class AuthService:
    def __init__(self, parts: AuthParts) -> None:
        self.parts = parts
        self.config = parts.config
        self.tenants = parts.tenants
        self.outbox = parts.outbox
        self.history = parts.history
        self.users = UserFlows(parts)
        self.invitations = Invitations(parts)

    @classmethod
    def open(
        cls,
        store: Store,
        mailer: Mailer,
        clock: Clock,
        config: AuthConfig,
        *,
        history: DeliveryHistory | None = None,
        hasher: PasswordHasher | None = None,
        random_bytes: Callable[[int], bytes] = secrets.token_bytes,
        new_id: Callable[[], str] = new_uuid,
    ) -> AuthService:
        """The service over `store`'s database (its migrations made the tables and the key)."""
        accounts = Accounts(store.reader, store.writer)
        tenants = Tenants(TenantStore(store.reader, store.writer), clock, new_id)
        codec = TokenCodec(accounts.token_key(), random_bytes)
        parts = AuthParts(
            accounts=accounts,
            tenants=tenants,
            mailer=mailer,
            clock=clock,
            codec=codec,
            hasher=hasher or PasswordHasher(),
            outbox=Outbox(),
            history=history if history is not None else MemoryDeliveryHistory(),
            config=config,
            new_id=new_id,
        )
        return cls(parts)

    def start(self) -> None:
        self.outbox.start()

    async def close(self) -> None:
        await self.outbox.close()

    def standing(self, address: str) -> Standing:
        """The address's suppression and its bounces and complaints (the admin API shows it)."""
        return standing_of(self.history, address)
