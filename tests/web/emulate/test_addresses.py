"""The remembered address parser answers as `parseaddr` does, and holds bounded memory."""

from __future__ import annotations

from email.utils import parseaddr

import pytest

from mailyard.web.emulate import addresses
from mailyard.web.emulate.addresses import CACHE_SIZE, MAX_CACHED, parse_address


@pytest.mark.parametrize(
    "value",
    [
        "jane@example.com",
        "Jane Doe <jane@example.com>",
        '"Doe, Jane" <jane@example.com>',
        "=?utf-8?q?J=C3=A9r=C3=B4me?= <j@example.com>",
        "jane@example.com (Jane)",
        "not an address",
        "",
        "<>",
        "a@b, c@d",
    ],
)
def test_answers_as_parseaddr_does(value: str) -> None:
    assert parse_address(value) == parseaddr(value)
    assert parse_address(value) == parseaddr(value)  # the remembered answer too


def test_long_values_are_parsed_every_time_and_never_kept() -> None:
    long = "J" * MAX_CACHED + " <jane@example.com>"
    before = addresses._parsed.cache_info().currsize
    assert parse_address(long) == parseaddr(long)
    assert addresses._parsed.cache_info().currsize == before


def test_the_cache_is_bounded() -> None:
    for i in range(CACHE_SIZE + 10):
        parse_address(f"user{i} <user{i}@example.com>")
    assert addresses._parsed.cache_info().currsize == CACHE_SIZE
