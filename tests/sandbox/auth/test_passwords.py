"""Passwords: scrypt with stated parameters, verified in constant time, bounded in memory."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from mailyard.sandbox.auth.passwords import MAX_LENGTH, PasswordHasher, _unb64, check_password
from mailyard.sandbox.errors import InvalidInputError


async def test_the_default_is_scrypt_n_2_14_r_8_p_1_and_verifies() -> None:
    hasher = PasswordHasher()
    stored = await hasher.hash("correct horse")
    scheme, cost, r, p, salt, key = stored.split("$")
    assert (scheme, cost, r, p) == ("scrypt", "14", "8", "1")
    # An independent derivation with the stated parameters gives the stored key.
    expected = hashlib.scrypt(
        b"correct horse", salt=_unb64(salt), n=2**14, r=8, p=1, maxmem=64 * 2**20, dklen=32
    )
    assert _unb64(key) == expected
    assert await hasher.verify("correct horse", stored)
    assert not await hasher.verify("correct horsf", stored)


async def test_salts_differ_and_old_costs_still_verify() -> None:
    cheap = PasswordHasher(cost=10)
    first, second = await cheap.hash("pw-123456"), await cheap.hash("pw-123456")
    assert first != second
    assert await PasswordHasher().verify("pw-123456", first)  # stored parameters win
    assert PasswordHasher().needs_rehash(first) and not cheap.needs_rehash(first)


@pytest.mark.parametrize(
    "stored", [None, "", "plain", "scrypt$40$8$1$AAAA$AAAA", "scrypt$x$8$1$AA$AA", "bcrypt$..."]
)
async def test_unreadable_or_absurd_hashes_never_verify(stored: str | None) -> None:
    assert not await PasswordHasher(cost=10).verify("anything long", stored)


@pytest.mark.parametrize(
    ("value", "needle"),
    [(None, "must be a string"), ("short", "at least 8"), ("x" * (MAX_LENGTH + 1), "at most")],
)
def test_passwords_are_bounded(value: object, needle: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        check_password(value)
    assert needle in str(caught.value) and caught.value.field == "password"


async def test_at_most_concurrency_hashes_run_at_once() -> None:
    hasher = PasswordHasher(cost=12, concurrency=2)
    running = peak = 0
    derive = hasher._derive

    def counted(*args: object) -> bytes:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        try:
            return derive(*args)  # type: ignore[arg-type]
        finally:
            running -= 1

    hasher._derive = counted  # type: ignore[method-assign]
    await asyncio.gather(*(hasher.hash(f"password{i}") for i in range(6)))
    assert 1 <= peak <= 2  # six at once when unbounded
