"""Address patterns: the documented forms, case-insensitive, and a bounded glob."""

from __future__ import annotations

import pytest
from support.budget import cpu_budget

from mailyard.sandbox.simulate.patterns import parse_pattern


@pytest.mark.parametrize(
    ("pattern", "yes", "no"),
    [
        ("*", ["a@b.test", "x@y"], ["no-at-sign"]),
        ("example.com", ["a@example.com", "B@EXAMPLE.COM"], ["a@sub.example.com", "a@example.org"]),
        ("*@example.com", ["a@example.com"], ["a@sub.example.com"]),
        (
            "*.example.com",
            ["a@sub.example.com", "a@x.y.example.com"],
            ["a@example.com", "a@badexample.com"],
        ),
        ("bob@example.com", ["Bob@Example.com"], ["bob+1@example.com", "bobby@example.com"]),
        ("bob+*@example.com", ["bob+1@example.com", "bob+@example.com"], ["bob@example.com"]),
        (
            "bounce-*@*.example.com",
            ["bounce-7@eu.example.com"],
            ["bounce-7@example.com", "xbounce-7@eu.example.com"],
        ),
        ("user?@x.test", ["user1@x.test"], ["user@x.test", "user12@x.test"]),
        ("*a*b*c@x.test", ["abc@x.test", "xxaxxbxxc@x.test"], ["acb@x.test"]),
        ("lit*@*", ["lit@a", "literal@b.c"], ["li@a"]),
    ],
)
def test_pattern_forms(pattern: str, yes: list[str], no: list[str]) -> None:
    parsed = parse_pattern(pattern)
    assert all(parsed.matches(a) for a in yes)
    assert not any(parsed.matches(a) for a in no)


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("", "an address pattern is needed"),
        ("a b@x", "a space or a control character"),
        ("@x.test", "needs one local part"),
        ("a@b@x.test", "needs one local part before one '@'"),
        ("*@ex*.com", "a domain takes '*' only alone"),
        ("*@x..test", "is not a domain name"),
        ("*@x_$.test", "is not a domain name"),
        ("a" * 255, "longer than 254"),
    ],
)
def test_bad_patterns_say_why(pattern: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_pattern(pattern)
    assert message in str(caught.value)


def test_worst_case_glob_is_fast() -> None:
    pattern = parse_pattern("*a" * 60 + "b@x.test")
    address = "a" * 200 + "@x.test"
    with cpu_budget(1.0, "100 worst-case glob matches"):
        for _ in range(100):
            assert not pattern.matches(address)
