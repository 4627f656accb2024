"""Svix webhook signatures, the way Resend signs its webhooks (providers.md D8, reliability.md 5.1).

    svix-id: msg_2bQ1rUXkQ2kz9gZKq0fUDFfxgX0
    svix-timestamp: 1614265330
    svix-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=

The signature is base64(HMAC-SHA256(key, f"{id}.{timestamp}.{body}")), `key` the base64 after
`whsec_`; during a secret rotation the header lists several `v1,<sig>` separated by spaces.
The official `svix` library and resend-node (through `standardwebhooks`, headers renamed
`webhook-*`) verify exactly this; so does `verify` here, which is what `webhook-check` and the
tests hold a receiver to: constant-time comparison against every `v1` entry, and a timestamp
within 300 s either way (the libraries' tolerance).

Ids are `msg_` + a KSUID (27 base62 characters: 4 bytes of seconds since 2014-05-13, 16 random
bytes), as Svix's are, so they sort by time; the random bytes come from an injected
`random.Random`. A retry reuses the id and is signed again with a new timestamp.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hmac
import random
import secrets
from collections.abc import Callable, Mapping, Sequence

from mailyard.sandbox.errors import InvalidInputError

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
TOLERANCE = 300.0  # svix and resend-python: DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300
SECRET_BYTES = 24
_KSUID_EPOCH = 1_400_000_000
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BASE62_PAIRS = tuple(a + b for a in _BASE62 for b in _BASE62)
_MAX_SIGNATURE_HEADER = 4096  # bounded work: a header longer than this is refused unread
_MAX_TIMESTAMP_DIGITS = 12


class SignatureError(InvalidInputError):
    """A webhook request whose signature does not hold; `field` names the header at fault."""


def new_secret(token_bytes: Callable[[int], bytes] = secrets.token_bytes) -> str:
    """A fresh `whsec_` secret: 24 random bytes, base64 (Svix's length)."""
    return SECRET_PREFIX + base64.b64encode(token_bytes(SECRET_BYTES)).decode()


@functools.lru_cache(maxsize=64)
def secret_key(secret: str) -> bytes:
    """The HMAC key of a `whsec_` secret (the prefix is optional, as in the libraries).

    Kept for the endpoints in use: every delivery is signed with its endpoint's key."""
    text = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError) as error:
        raise InvalidInputError(f"webhook secret is not base64: {error}", "secret") from None
    if not key:
        raise InvalidInputError("webhook secret is empty", "secret")
    return key


def message_id(at: float, rng: random.Random) -> str:
    """A Svix message id for a message created at `at` (seconds)."""
    seconds = max(0, int(at) - _KSUID_EPOCH) & 0xFFFFFFFF
    number = (seconds << 128) | rng.getrandbits(128)
    pairs = []  # two base62 digits at a time: half the big-number divisions
    while number:
        number, pair = divmod(number, 3844)
        pairs.append(_BASE62_PAIRS[pair])
    return "msg_" + "".join(reversed(pairs)).lstrip("0").rjust(27, "0")


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,<base64>` signature of `body` as sent with `msg_id` at `timestamp`."""
    return _sign(secret_key(secret), msg_id, str(timestamp), body)


def _sign(key: bytes, msg_id: str, stamp: str, body: bytes) -> str:
    signed = f"{msg_id}.{stamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.digest(key, signed, "sha256")).decode()


def signature_header(secrets_: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """`svix-signature` for one secret, or several during a rotation (space-separated)."""
    return " ".join(sign(s, msg_id, timestamp, body) for s in secrets_)


def svix_headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The headers of one delivery attempt (the body is JSON)."""
    return {
        "content-type": "application/json",
        "svix-id": msg_id,
        "svix-timestamp": str(timestamp),
        "svix-signature": sign(secret, msg_id, timestamp, body),
    }


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    now: float,
    tolerance: float = TOLERANCE,
) -> None:
    """Check a received webhook as a careful receiver does; raise `SignatureError` if it fails.

    Reads `svix-*` or the Standard Webhooks `webhook-*` names, case-insensitively. An entry of
    the signature list that is not `v1,<sig>` is skipped rather than fatal (svix 2.9.1 raises a
    bare ValueError on `v1` without a comma, which turns a forgery into a 500).
    """
    lower = {name.lower(): value for name, value in headers.items()}

    def header(name: str) -> str:
        value = lower.get(f"svix-{name}", lower.get(f"webhook-{name}"))
        if not value:
            raise SignatureError(f"the svix-{name} header is missing", f"svix-{name}")
        return value

    msg_id, stamp, signatures = header("id"), header("timestamp"), header("signature")
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > _MAX_TIMESTAMP_DIGITS:
        raise SignatureError("svix-timestamp is not whole seconds", "svix-timestamp")
    if abs(now - int(stamp)) > tolerance:
        raise SignatureError(
            f"svix-timestamp is {int(now) - int(stamp)} s from now, outside ±{tolerance:g} s",
            "svix-timestamp",
        )
    if len(signatures) > _MAX_SIGNATURE_HEADER:
        raise SignatureError("svix-signature is too long", "svix-signature")
    expected = _sign(secret_key(secret), msg_id, stamp, body).encode()
    found = False
    for entry in signatures.split(" "):
        # Compare every entry, so the time taken does not depend on which one matched.
        found |= entry.startswith("v1,") and hmac.compare_digest(entry.encode(), expected)
    if not found:
        raise SignatureError("no svix-signature entry matches the body", "svix-signature")
