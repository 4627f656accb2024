"""Links and one-time codes extracted from auth emails."""

from __future__ import annotations

from mailyard.sandbox.mail.links import extract_codes, extract_links


def test_html_anchor_text_and_tokens() -> None:
    html = (
        '<a href="https://x.example/verify?token=t0k&amp;next=%2Fhome">Verify <b>email</b></a>'
        '<a href="#top">top</a><a href="mailto:help@x.example">Help</a>'
        '<a href="https://x.example/logo"><img src="l.png" alt="Logo"></a>'
    )
    links = extract_links("", html)
    assert [link.url for link in links] == [
        "https://x.example/verify?token=t0k&next=%2Fhome",
        "mailto:help@x.example",
        "https://x.example/logo",
    ]
    assert links[0].text == "Verify email" and links[0].tokens == {"token": "t0k"}
    assert links[0].query == {"token": ["t0k"], "next": ["/home"]}
    assert links[2].text == "Logo"


def test_text_urls_are_found_and_trimmed() -> None:
    links = extract_links("Open https://x.example/a?code=9, or (https://x.example/b).", "")
    assert [link.url for link in links] == ["https://x.example/a?code=9", "https://x.example/b"]
    assert links[0].tokens == {"code": "9"}


def test_codes_prefer_those_near_code_words() -> None:
    codes = extract_codes(
        "Welcome", "Invoice 1234 from 2026.\nYour verification code: 845120\nRef ABC-123"
    )
    assert codes[0].code == "845120"
    found = [c.code for c in codes]
    assert "2026" not in found and "ABC-123" in found


def test_tokens_inside_urls_are_not_codes() -> None:
    codes = extract_codes("", "https://x.example/r?token=123456 and nothing else")
    assert codes == []


def test_localized_code_word() -> None:
    assert (
        extract_codes("", "Ihr Bestätigungscode lautet 5531 (gültig 10 Minuten)")[0].code == "5531"
    )
