"""Content-Type and Content-Disposition parameters, RFC 2045 and RFC 2231."""

from __future__ import annotations

from mailyard.sandbox.mail.params import parse_params


def test_plain_quoted_and_escaped_parameters() -> None:
    assert parse_params('Text/Plain; Charset="utf-8"; format=flowed') == (
        "text/plain",
        {"charset": "utf-8", "format": "flowed"},
    )
    assert parse_params('multipart/mixed; boundary="a;b\\"c"')[1] == {"boundary": 'a;b"c'}
    assert parse_params("x; a=1; a=2; novalue; =x")[1] == {"a": "1"}  # the first one counts


def test_rfc2231_values_and_continuations() -> None:
    assert parse_params("attachment; filename*=utf-8'en'r%C3%A9sum%C3%A9.pdf")[1] == {
        "filename": "résumé.pdf"
    }
    continued = "x; name*1*=%A9; name*0*=utf-8''caf%C3; name*2=\" au lait\"; name=plain"
    assert parse_params(continued)[1] == {"name": "café au lait"}
    latin = "x; filename*=iso-8859-1''caf%E9; other*=nope''%FF"
    assert parse_params(latin)[1] == {"filename": "café", "other": "\ufffd"}


def test_hostile_sections_are_ignored() -> None:
    params = parse_params("x; a*99999999999999999999*=%41; a*0*=%42; b*0=c")[1]
    assert params == {"a": "B", "b": "c"}
