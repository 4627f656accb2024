"""The exceptions senders raise, in one tree.

    SendError                 a provider refused or could not be reached; `.code` is the
    │                         provider's own error code, `.retryable` says if trying again helps
    └── (none yet)

A SendError's message never holds a secret: providers' texts are passed on, credentials never.
"""

from __future__ import annotations


class SendError(Exception):
    """A send failed. `code` is the provider's (MessageRejected, rate_limit_exceeded, smtp_550)."""

    def __init__(
        self,
        provider: str,
        code: str,
        message: str,
        *,
        retryable: bool = False,
        retry_after: float | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(f"{provider}: {code}: {message}")
        self.provider = provider
        self.code = code
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status
        self.attempts = 1
