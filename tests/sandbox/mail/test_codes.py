"""One-time codes: the shapes auth mail uses, and the numbers that only look like codes."""

from __future__ import annotations

import pytest

from mailyard.sandbox.mail.codes import extract_codes


def first(subject: str, text: str, html: str = "") -> str | None:
    codes = extract_codes(subject, text, html)
    return codes[0].code if codes else None


def test_codes_prefer_those_near_code_words() -> None:
    codes = extract_codes(
        "Welcome", "Invoice 1234 from 2026.\nYour verification code: 845120\nRef ABC-123"
    )
    assert [c.code for c in codes] == ["845120"]  # the invoice, the year, the reference: not codes


def test_tokens_inside_urls_are_not_codes() -> None:
    assert extract_codes("", "https://x.example/r?token=123456 and nothing else") == []
    assert (
        extract_codes("", "Your code: see https://x.example/c/482913 or www.x.example/482913") == []
    )


def test_localized_code_word() -> None:
    assert first("", "Ihr Bestätigungscode lautet 5531 (gültig 10 Minuten)") == "5531"
    assert first("", "Tu código de inicio de sesión:\n482913\n") == "482913"
    assert first("", "أدخل هذا الرمز:\n493021") == "493021"
    assert first("", "Ваш код подтверждения: 730512") == "730512"


@pytest.mark.parametrize(
    ("subject", "text", "code", "display"),
    [
        ("Your code: 123 456", "", "123456", "123 456"),
        ("", "Your verification code is 123-456.", "123456", "123-456"),
        ("", "Enter this code:\n\n4821 9930\n", "48219930", "4821 9930"),
        ("", "Your code: 12 34 56", "123456", "12 34 56"),
        ("Slack confirmation code: KMJ-T04", "", "KMJ-T04", "KMJ-T04"),
        ("", "Your sign-in code is ABC-123", "ABC-123", "ABC-123"),
        ("", "Your one-time code:\n\nH7K2QP\n", "H7K2QP", "H7K2QP"),
        ("482913 is your Example verification code", "", "482913", "482913"),
        ("", "Use this code to sign in: 81436259", "81436259", "81436259"),
        ("", "passcode:730512", "730512", "730512"),
    ],
)
def test_code_shapes(subject: str, text: str, code: str, display: str) -> None:
    (found,) = extract_codes(subject, text)[:1]
    assert (found.code, found.as_json()["display"]) == (code, display)


def test_a_code_in_separate_boxes_of_an_html_only_body() -> None:
    boxes = "".join(f"<td style='font-size:28px'>{d}</td>\n  " for d in "739201")
    html = f"<h1>Verify your email</h1><p>Use this code:</p><table><tr>{boxes}</tr></table>"
    assert first("Verify your email", "", html) == "739201"
    spans = "".join(f"<span>{d}</span>" for d in "640281")
    assert first("Log in to Example", "", f"<p>Your login code</p><p>{spans}</p>") == "640281"


def test_subject_and_body_agree() -> None:
    codes = extract_codes("Your code is 493021", "Code: 493021\nOrder 2026 is unrelated.")
    assert [c.code for c in codes] == ["493021"]


@pytest.mark.parametrize(
    "text",
    [
        "Your order #100234 ships today. Total: $96.37",
        "Order number: 100234",
        "Questions? Call 1-800-555-0199 or +1 (425) 555-0100.",
        "Call us at 555 123 4567",
        "Microsoft Corporation, One Microsoft Way, Redmond, WA 98052",
        "© 2026 Example Inc. All rights reserved.",
        "Use code SPRING24 at checkout for 24% off.",
        "Use promo code SAVE2026 today",
        "This request came from IP address 203.0.113.42.",
        "Release 4.2.1 with 1,284 fixes",
        "Estimated delivery: 03/05/2026 between 10:00 and 14:00",
        "Tracking number: 1Z999AA10123456784",
        "Sign in to localhost:3000",
        "Steps: 1 2 3 4 5 6 7 8 9 10",
    ],
)
def test_numbers_that_are_not_codes(text: str) -> None:
    assert extract_codes("Your account", text) == [], text


def test_a_phone_number_near_a_code_word_is_still_no_code() -> None:
    codes = extract_codes("", "Your code is 482913. Lost it? Call 555-123-4567.")
    assert [c.code for c in codes] == ["482913"]
