"""The exceptions the auth flows raise, below `SandboxError`, each with a stable `code`.

    SandboxError
    ├── NotFoundError            a user, client, theme or invitation that does not exist
    ├── InvalidInputError        a value is wrong; `.field` names it (a short password, a bad date)
    └── AuthError                the request is well formed but the flow refuses it; `.code`:
        ├── TokenError           malformed | tampered | wrong_kind | unknown | used | expired |
        │                        revoked | code_wrong | code_locked
        ├── AccountExistsError   account_exists (signup, invitation for a member)
        ├── SuppressedError      suppressed (re-inviting a bouncing or complaining address)
        ├── SignupClosedError    self_signup_disabled (the client does not allow self-signup)
        ├── CredentialsError     invalid_credentials (login: never says which part was wrong)
        ├── InvitationStateError invitation_accepted | invitation_revoked (revoking one that is not
        │                        pending)
        └── RateLimitedError     rate_limited; `.retry_after` in seconds

The web layer maps codes to statuses; the messages are written for the person who will read
them in an API response and name what to do next.
"""

from __future__ import annotations

from mailyard.sandbox.errors import SandboxError


class AuthError(SandboxError):
    """The flow refuses the request; `code` says why in a word, the message in a sentence."""

    code = "auth_error"

    def __init__(self, message: str, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code or type(self).code
        self.field = field


class TokenError(AuthError):
    """A token or code that cannot be used: see `code` for which of the reasons."""

    code = "token_invalid"


class AccountExistsError(AuthError):
    code = "account_exists"


class SuppressedError(AuthError):
    """The address is on the suppression list or hard-bounced; `reason` says which and when."""

    code = "suppressed"

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message, field="email")
        self.reason = reason


class SignupClosedError(AuthError):
    code = "self_signup_disabled"


class CredentialsError(AuthError):
    code = "invalid_credentials"


class InvitationStateError(AuthError):
    code = "invitation_state"


class RateLimitedError(AuthError):
    code = "rate_limited"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after
