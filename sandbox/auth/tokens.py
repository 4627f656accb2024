"""Opaque single-use tokens: what a link carries, and how a presented one is judged.

A token is 24 random bytes followed by an 8-byte tag, HMAC-SHA256(install key, kind, random)
cut to 8 bytes, written as base64url without padding: 43 characters, safe in a URL unescaped.
The store keeps only SHA-256 of the token's text, so a copy of the database opens no account.

- Why SHA-256 and not a slow KDF: the token carries 192 random bits; there is no dictionary to
  try, so a fast hash loses nothing, and a lookup by hash stays one indexed read.
- Why a tag: it tells a token altered on its way (a mail client that rewrapped the link, a
  character lost in a copy) from a genuine one this store does not hold, and a token of another
  kind (a verification link pasted into the reset form) from both, without a database read.
  Each of those gets its own error, as do reuse, expiry and revocation (`judge`).

Typed codes (the 6 digits of an email verification) are a different thing: a million
possibilities, so they are stored as an HMAC keyed by the install key (not guessable from a
copy of the database alone) and wrong guesses are counted (`auth.flows` stops at a limit).

Randomness comes from `random_bytes` (default `secrets.token_bytes`): it must be a CSPRNG in
production; tests may pass a seeded source to get repeatable tokens.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from mailyard.sandbox.auth.errors import TokenError
from mailyard.sandbox.store.accounts import TokenRecord

RESET = "password-reset"
VERIFY = "email-verification"
INVITE = "invitation"
VERIFY_CODE = "email-verification-code"
KINDS = (RESET, VERIFY, INVITE)

RANDOM_BYTES = 24
TAG_BYTES = 8
TOKEN_CHARS = 43  # base64url of 32 bytes, unpadded
CODE_DIGITS = 6
_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")

RandomBytes = Callable[[int], bytes]


@dataclass(frozen=True)
class Minted:
    """A new token: `text` goes into the link and nowhere else, `hash` into the store."""

    text: str
    hash: str


def token_hash(text: str) -> str:
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def when(timestamp: float) -> str:
    """A timestamp as people and logs read it: 2026-01-01T10:00:00Z."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class TokenCodec:
    """Mints tokens and codes, and reads presented ones back to the hash they are stored as."""

    def __init__(self, key: bytes, random_bytes: RandomBytes = secrets.token_bytes) -> None:
        if len(key) < 16:
            raise ValueError("the token key must be at least 16 bytes")
        self._key = key
        self._random = random_bytes

    def _tag(self, kind: str, body: bytes) -> bytes:
        return hmac.new(self._key, kind.encode() + b"\0" + body, hashlib.sha256).digest()[
            :TAG_BYTES
        ]

    def mint(self, kind: str) -> Minted:
        body = self._random(RANDOM_BYTES)
        raw = body + self._tag(kind, body)
        text = base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
        return Minted(text, token_hash(text))

    def read(self, text: str, kind: str) -> str:
        """The stored hash of a presented token of `kind`; TokenError when it cannot be one."""
        if not isinstance(text, str) or not _SHAPE.match(text):
            raise TokenError(
                f"the token is not one this service issues ({TOKEN_CHARS} characters of "
                "letters, digits, - and _): check that the whole link was used",
                "token_malformed",
                "token",
            )
        try:
            raw = base64.urlsafe_b64decode(text + "=")
        except (binascii.Error, ValueError):
            raise TokenError(
                "the token is not valid base64url", "token_malformed", "token"
            ) from None
        body, tag = raw[:RANDOM_BYTES], raw[RANDOM_BYTES:]
        # The last character carries two spare bits: a changed spare bit decodes to the same
        # bytes, so only the canonical spelling is the token.
        canonical = base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=") == text
        if not canonical or not hmac.compare_digest(tag, self._tag(kind, body)):
            other = next(
                (k for k in KINDS if k != kind and hmac.compare_digest(tag, self._tag(k, body))),
                None,
            )
            if not canonical:
                other = None
            if other is not None:
                raise TokenError(
                    f"this is an {other} token, not a {kind} token: it belongs to another link",
                    "token_wrong_kind",
                    "token",
                )
            raise TokenError(
                "the token was altered: its check does not match (was a character of the link "
                "changed or lost?)",
                "token_tampered",
                "token",
            )
        return token_hash(text)

    def mint_code(self, subject: str) -> tuple[str, str]:
        """A 6-digit code for `subject` and its stored hash (uniform: rejection sampling)."""
        limit = 10**CODE_DIGITS
        bound = (1 << 32) - (1 << 32) % limit
        while True:
            value = int.from_bytes(self._random(4), "big")
            if value < bound:
                code = f"{value % limit:0{CODE_DIGITS}d}"
                return code, self.code_hash(subject, code)

    def code_hash(self, subject: str, code: str) -> str:
        message = f"{VERIFY_CODE}\0{subject}\0{code}".encode()
        return "code:" + hmac.new(self._key, message, hashlib.sha256).hexdigest()


def judge(record: TokenRecord | None, now: float, *, what: str = "link") -> TokenRecord:
    """The stored token if it can be used now; TokenError saying why not otherwise."""
    if record is None:
        raise TokenError(
            f"no such {what}: this service never issued it, or it was removed",
            "token_unknown",
            "token",
        )
    if record.used is not None:
        raise TokenError(
            f"this {what} was already used at {when(record.used)}; ask for a new one",
            "token_used",
            "token",
        )
    if record.revoked is not None:
        raise TokenError(
            f"this {what} was replaced or withdrawn at {when(record.revoked)}; use the newest "
            "email",
            "token_revoked",
            "token",
        )
    if now >= record.expires:
        raise TokenError(
            f"this {what} expired at {when(record.expires)}; ask for a new one",
            "token_expired",
            "token",
        )
    return record
