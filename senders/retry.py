"""Retrying transient failures: exponential backoff with jitter, bounded, honouring retry-after.

Only errors the sender marked retryable are retried, and a sender marks an error retryable only
when trying again cannot deliver twice (the provider refused, the connection never opened, or
an idempotency key makes the provider answer the repeat with the first result).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import replace

from mailyard.senders.errors import SendError
from mailyard.senders.outgoing import Outgoing, Receipt, Sender


class Retrying:
    """Wraps a sender; `attempts` tries in all, waits from `base` doubling up to `cap` seconds."""

    def __init__(
        self,
        sender: Sender,
        attempts: int = 4,
        base: float = 0.25,
        cap: float = 8.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.inner = sender
        self.name = sender.name
        self._attempts = max(1, attempts)
        self._base = base
        self._cap = cap
        self._sleep = sleep
        self._jitter = jitter

    def delay(self, attempt: int, error: SendError) -> float:
        if error.retry_after is not None:
            return min(self._cap, max(0.0, error.retry_after))
        return min(self._cap, self._base * 2.0 ** (attempt - 1)) * (0.5 + self._jitter() / 2)

    async def send(self, email: Outgoing) -> Receipt:
        attempt = 1
        while True:
            try:
                receipt = await self.inner.send(email)
            except SendError as error:
                if not error.retryable or attempt >= self._attempts:
                    error.attempts = attempt
                    raise
                await self._sleep(self.delay(attempt, error))
                attempt += 1
                continue
            return replace(receipt, attempts=attempt)
