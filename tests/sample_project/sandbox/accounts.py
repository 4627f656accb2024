"""Users and their password-reset tokens: random, stored only as a hash, single use, one hour."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field

RESET_LIFETIME = 3600.0


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class TokenError(Exception):
    """A reset token that is unknown, used or expired; the message says which."""


@dataclass
class Accounts:
    users: dict[str, str] = field(default_factory=dict)  # email -> password hash
    resets: dict[str, tuple[str, float]] = field(default_factory=dict)  # hash -> (email, expiry)
    used: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sign_up(self, email: str, password: str) -> None:
        with self.lock:
            self.users[email.lower()] = _hash(password)

    def log_in(self, email: str, password: str) -> bool:
        return self.users.get(email.lower()) == _hash(password)

    def reset_token(self, email: str) -> str | None:
        """A new token for a known address; None for an unknown one."""
        if email.lower() not in self.users:
            return None
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.resets[_hash(token)] = (email.lower(), time.time() + RESET_LIFETIME)
        return token

    def check(self, token: str) -> str:
        """The address a token resets, without using it (a GET of the link must not)."""
        key = _hash(token)
        if key in self.used:
            raise TokenError("this reset link was already used")
        found = self.resets.get(key)
        if found is None:
            raise TokenError("this reset link is not valid")
        if found[1] < time.time():
            raise TokenError("this reset link has expired")
        return found[0]

    def reset(self, token: str, password: str) -> None:
        with self.lock:
            email = self.check(token)
            self.used.add(_hash(token))
            self.users[email] = _hash(password)
