"""Tokens: opaque, random, stored as hashes; altered, foreign, used, expired each told apart."""

from __future__ import annotations

import contextlib
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.budget import cpu_budget

from mailyard.sandbox.auth.errors import TokenError
from mailyard.sandbox.auth.tokens import (
    INVITE,
    RESET,
    VERIFY,
    TokenCodec,
    judge,
    token_hash,
)
from mailyard.sandbox.store import Store
from mailyard.sandbox.store.accounts import Accounts, TokenRecord

KEY = bytes(range(32))


def codec(seed: int = 1) -> TokenCodec:
    rng = random.Random(seed)
    return TokenCodec(KEY, rng.randbytes)


def code_of(call: object) -> str:
    with pytest.raises(TokenError) as caught:
        call()  # type: ignore[operator]
    return caught.value.code


def test_a_token_is_43_url_safe_characters_and_reads_back_to_its_hash() -> None:
    minted = TokenCodec(KEY).mint(RESET)
    assert len(minted.text) == 43
    assert minted.text.replace("-", "").replace("_", "").isalnum()
    assert minted.hash == token_hash(minted.text) != minted.text
    assert TokenCodec(KEY).read(minted.text, RESET) == minted.hash


def test_tokens_come_from_the_injected_source_and_differ() -> None:
    assert codec(7).mint(RESET).text == codec(7).mint(RESET).text
    made = {TokenCodec(KEY).mint(RESET).text for _ in range(200)}
    assert len(made) == 200


def test_an_altered_token_is_told_from_an_unknown_one() -> None:
    text = codec().mint(RESET).text
    for position in (0, 20, 41):
        swapped = "A" if text[position] != "A" else "B"
        altered = text[:position] + swapped + text[position + 1 :]
        assert code_of(lambda a=altered: codec().read(a, RESET)) == "token_tampered"


def test_the_spare_bits_of_the_last_character_do_not_make_a_second_spelling() -> None:
    text = codec().mint(RESET).text
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    index = alphabet.index(text[-1])
    sibling = text[:-1] + alphabet[index ^ 1]  # same 4 data bits, one spare bit changed
    assert code_of(lambda: codec().read(sibling, RESET)) == "token_tampered"


def test_a_truncated_or_foreign_token_is_malformed() -> None:
    text = codec().mint(RESET).text
    for bad in (text[:-1], text + "A", "", "x" * 43 + "%", "test-preview-token-000"):
        assert code_of(lambda b=bad: codec().read(b, RESET)) == "token_malformed"


def test_a_token_of_another_kind_says_so() -> None:
    verification = codec().mint(VERIFY).text
    with pytest.raises(TokenError) as caught:
        codec().read(verification, RESET)
    assert caught.value.code == "token_wrong_kind"
    assert "email-verification" in str(caught.value)


def test_another_install_cannot_mint_tokens_for_this_one() -> None:
    foreign = TokenCodec(bytes(32)).mint(INVITE).text
    assert code_of(lambda: codec().read(foreign, INVITE)) == "token_tampered"


def record(**changes: float | None) -> TokenRecord:
    values: dict[str, object] = {
        "hash": "h",
        "kind": RESET,
        "subject": "u",
        "created": 0.0,
        "expires": 3600.0,
        "used": None,
        "revoked": None,
        "attempts": 0,
    }
    values.update(changes)
    return TokenRecord(**values)  # type: ignore[arg-type]


def test_judge_names_each_reason_with_its_time() -> None:
    assert judge(record(), 10.0).hash == "h"
    assert code_of(lambda: judge(None, 10.0)) == "token_unknown"
    with pytest.raises(TokenError) as used:
        judge(record(used=60.0), 10.0)
    assert used.value.code == "token_used" and "1970-01-01T00:01:00Z" in str(used.value)
    assert code_of(lambda: judge(record(revoked=5.0), 10.0)) == "token_revoked"
    assert code_of(lambda: judge(record(), 3600.0)) == "token_expired"  # expiry is exclusive


def test_codes_are_six_digits_spread_evenly() -> None:
    made = [codec(seed).mint_code("user")[0] for seed in range(2000)]
    assert all(len(c) == 6 and c.isdigit() for c in made)
    first_digits = [int(c[0]) for c in made]
    for digit in range(10):  # ~200 each; a modulo bias or a constant would show
        assert 120 < first_digits.count(digit) < 290


def test_a_code_hash_depends_on_the_user_and_the_key() -> None:
    c = codec()
    assert c.code_hash("a", "123456") != c.code_hash("b", "123456")
    assert c.code_hash("a", "123456") != TokenCodec(bytes(32)).code_hash("a", "123456")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_refused_quickly_or_read(text: str) -> None:
    with cpu_budget(0.05, "reading a presented token"), contextlib.suppress(TokenError):
        codec().read(text, RESET)  # microseconds in fact


def test_the_migration_gives_each_install_its_own_token_key(tmp_path: Path) -> None:
    keys = []
    for name in ("a.db", "b.db"):
        with Store(str(tmp_path / name)) as store:
            keys.append(Accounts(store.reader, store.writer).token_key())
        with Store(str(tmp_path / name)) as store:  # reopened: the same key
            assert Accounts(store.reader, store.writer).token_key() == keys[-1]
    assert len(keys[0]) == 32 and keys[0] != keys[1]
