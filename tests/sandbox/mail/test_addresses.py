"""Address headers read by our own linear reader: the forms `getaddresses` handles, the same."""

from __future__ import annotations

from email.utils import getaddresses

import pytest

from mailyard.sandbox.mail.addresses import (
    MAX_ADDRESSES,
    Address,
    parse_address_pairs,
    parse_addresses,
)

AS_GETADDRESSES = [
    "a@example.com",
    "Jane Doe <jane@example.com>",
    '"Doe, Jane" <jane@example.com>',
    '"Jane \\"JD\\" Doe" <j@example.com>',
    "jane@example.com (Jane Doe)",
    "John Q. Public <jq@example.com>, b@example.com,  c@example.com ",
    "Group: a@example.com, C <c@example.com>;, e@example.com",
    "a @ example . com",
    "<a@example.com>",
    "Name <a@example.com> trailing",
    "Jane <>",
    "=?utf-8?q?J=C3=B6rg?= <jorg@example.com>",
]


@pytest.mark.parametrize("value", AS_GETADDRESSES)
def test_common_forms_read_as_getaddresses_reads_them(value: str) -> None:
    expected = [pair for pair in getaddresses([value]) if pair != ("", "")]
    assert parse_address_pairs(value) == expected


def test_oddities() -> None:
    assert parse_address_pairs("undisclosed-recipients:;") == []
    assert parse_address_pairs("<@relay.example,@other.example:jane@example.com>") == [
        ("", "jane@example.com")
    ]
    assert parse_address_pairs("Jane ((nested) comment) <j@x>") == [("Jane", "j@x")]
    assert parse_address_pairs("<unterminated@x, b@y") == [("", "unterminated@x"), ("", "b@y")]
    assert parse_address_pairs('"unterminated <a@b>') == [("", '"unterminated <a@b>')]


def test_names_are_decoded_and_counts_capped() -> None:
    assert parse_addresses("=?utf-8?q?J=C3=B6rg?= <j@x>") == (Address("Jörg", "j@x"),)
    many = ", ".join(f"u{i}@example.com" for i in range(5000))
    assert len(parse_addresses(many)) == MAX_ADDRESSES
