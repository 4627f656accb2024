"""The reference auth service over a real store, sending through the real mailer to an in-memory
provider: what the auth tests build on.

`Provider` is a `Sender` (the seam every provider implements) that keeps what it is given, so a
test reads each email as the provider received it: subject, text, HTML, and the links our own
link extractor finds in it. The clock is frozen and moved by the test; passwords are hashed
with the real scrypt at a low cost (2^10) so the suite stays fast.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

from mailyard.sandbox.auth.history import MemoryDeliveryHistory
from mailyard.sandbox.auth.parts import AuthConfig
from mailyard.sandbox.auth.passwords import PasswordHasher
from mailyard.sandbox.auth.service import AuthService
from mailyard.sandbox.clock import Clock
from mailyard.sandbox.events import Event
from mailyard.sandbox.mail.links import Link, extract_links
from mailyard.sandbox.outbound.mailer import Mailer
from mailyard.sandbox.outbound.routing import Route
from mailyard.sandbox.store import Store
from mailyard.senders import Outgoing, Receipt

PUBLIC = "https://auth.example.test"


@dataclass
class Provider:
    """An email provider that accepts everything and remembers it."""

    name: str = "memory"
    sent: list[Outgoing] = field(default_factory=list)
    ids: Iterator[int] = field(default_factory=itertools.count)

    async def send(self, email: Outgoing) -> Receipt:
        self.sent.append(email)
        return Receipt(self.name, f"mem-{next(self.ids)}")

    def to(self, address: str, concept: str | None = None) -> list[Outgoing]:
        """What went to `address` (of `concept`, by its tag), oldest first."""
        return [
            e
            for e in self.sent
            if address in e.to and (concept is None or ("concept", concept) in e.tags)
        ]

    def action_link(self, email: Outgoing) -> Link:
        link = extract_links(email.text, email.html)[0]
        assert link.role == "action" and link.token, link
        return link


@dataclass
class Rig:
    auth: AuthService
    provider: Provider
    clock: Clock
    store: Store
    history: MemoryDeliveryHistory
    events: list[Event]


def make_rig(store: Store, events: list[Event], *, verification: bool = True) -> Rig:
    clock = store.clock
    provider = Provider()
    mailer = Mailer(
        Route("sandbox", True, "no-reply@auth.example.test"),
        provider,
        log_key=store.log_key,
        send_log=store.send_log,
    )
    history = MemoryDeliveryHistory()
    auth = AuthService.open(
        store,
        mailer,
        clock,
        AuthConfig(public_url=PUBLIC, email_verification=verification),
        history=history,
        hasher=PasswordHasher(cost=10),
    )
    return Rig(auth, provider, clock, store, history, events)
