"""Password hashing with scrypt (RFC 7914), off the event loop, with bounded memory.

Parameters: N = 2^14, r = 8, p = 1, a 16-byte random salt, a 32-byte key: Django's
ScryptPasswordHasher defaults, and the interactive-login parameters of the scrypt paper
(Percival, 2009). 16 MiB and ~0.1 s per hash on one core of a CI machine (measured: 0.10 s;
2^15 took 0.20 s, 2^17 0.91 s on the same, loaded, 2-core box). OWASP's 2023 minimum is
N = 2^17 (128 MiB): a reference service whose checklist (three hashes) must finish in under
3 seconds on a shared runner cannot pay a second per hash. Every stored hash names its own
parameters (`scrypt$14$8$1$salt$key`), so a deployment that raises `cost` still verifies old
hashes as they are, and `needs_rehash` says when to replace one.

Each hash holds 128 * r * N bytes for its duration, so at most `concurrency` run at once (32 MiB
with the defaults): a burst of signups queues instead of growing memory. They run in threads
(hashlib releases the GIL inside OpenSSL), never on the loop.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from mailyard.sandbox.errors import InvalidInputError

MIN_LENGTH = 8
MAX_LENGTH = 1024  # characters: hashing is linear in it, and nobody types more
SALT_BYTES = 16
KEY_BYTES = 32


def check_password(password: object, field_name: str = "password") -> str:
    """The password if it can be used; InvalidInputError naming the field otherwise."""
    if not isinstance(password, str):
        raise InvalidInputError(f"{field_name} must be a string", field_name)
    if len(password) < MIN_LENGTH:
        raise InvalidInputError(
            f"{field_name} must be at least {MIN_LENGTH} characters", field_name
        )
    if len(password) > MAX_LENGTH:
        raise InvalidInputError(f"{field_name} must be at most {MAX_LENGTH} characters", field_name)
    return password


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


@dataclass
class PasswordHasher:
    """scrypt with N = 2^cost; `random_bytes` makes the salts."""

    cost: int = 14
    block_size: int = 8
    parallelism: int = 1
    concurrency: int = 2
    random_bytes: Callable[[int], bytes] = secrets.token_bytes
    _slots: asyncio.Semaphore | None = field(default=None, repr=False)

    def _derive(self, password: str, salt: bytes, cost: int, r: int, p: int) -> bytes:
        n = 1 << cost
        return hashlib.scrypt(
            password.encode("utf-8"),
            salt=salt,
            n=n,
            r=r,
            p=p,
            maxmem=129 * r * n * p + (1 << 20),
            dklen=KEY_BYTES,
        )

    async def _run(self, work: Callable[[], bytes]) -> bytes:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.concurrency)
        async with self._slots:
            return await asyncio.to_thread(work)

    async def hash(self, password: str) -> str:
        salt = self.random_bytes(SALT_BYTES)
        cost, r, p = self.cost, self.block_size, self.parallelism
        key = await self._run(lambda: self._derive(password, salt, cost, r, p))
        return f"scrypt${cost}${r}${p}${_b64(salt)}${_b64(key)}"

    async def verify(self, password: str, stored: str | None) -> bool:
        """True if `password` matches `stored`. An account without a password (or a stored
        value this hasher cannot read) still costs one hash, so timing says nothing of it."""
        parsed = _parse(stored)
        if parsed is None:
            await self.hash(password)
            return False
        cost, r, p, salt, key = parsed
        derived = await self._run(lambda: self._derive(password, salt, cost, r, p))
        return hmac.compare_digest(derived, key)

    def needs_rehash(self, stored: str) -> bool:
        parsed = _parse(stored)
        return parsed is None or parsed[:3] != (self.cost, self.block_size, self.parallelism)


def _parse(stored: str | None) -> tuple[int, int, int, bytes, bytes] | None:
    parts = (stored or "").split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return None
    try:
        cost, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, key = _unb64(parts[4]), _unb64(parts[5])
    except ValueError:
        return None
    if not (10 <= cost <= 22 and 1 <= r <= 32 and 1 <= p <= 16):  # bounded work per verify
        return None
    return cost, r, p, salt, key
