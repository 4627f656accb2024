"""RFC 2047 encoded words."""

from __future__ import annotations

from email.header import decode_header, make_header

import pytest

from mailyard.sandbox.mail.words import decode_words

SAME_AS_CPYTHON = [
    "plain text",
    "=?utf-8?q?Gr=C3=BC=C3=9Fe?=",
    "=?UTF-8?B?R3LDvMOfZQ==?=",
    "Re: =?iso-8859-1?q?caf=E9?= au lait",
    "=?utf-8?q?a?= =?utf-8?q?b?=",
    "=?utf-8?q?a_b?=  =?iso-8859-1?q?=E9?=",
    "=?utf-8?b?R3LD?= =?utf-8?b?vMOfZQ==?=",
]


@pytest.mark.parametrize("value", SAME_AS_CPYTHON)
def test_decodes_as_cpython_does(value: str) -> None:
    assert decode_words(value) == str(make_header(decode_header(value)))


def test_broken_words_degrade() -> None:
    assert decode_words("=?nope?q?caf=C3=A9?=") == "café"  # unknown charset: UTF-8
    assert decode_words("=?utf-8?b?R3LDvMOfZQ?=") == "Grüße"  # lost padding
    assert decode_words("=?utf-8?b?!!!?=") == ""
    assert decode_words("=?utf-8?x?abc?= =?utf-8?q?unterminated") == (
        "=?utf-8?x?abc?= =?utf-8?q?unterminated"
    )
    assert decode_words("a\r\n  folded") == "a folded"
    assert decode_words("=?utf\x008?q?caf=C3=A9?=") == "café"  # fuzzing: a NUL in the charset
