"""List-Unsubscribe read as Mailpit reads it: its links and its exact complaints."""

from __future__ import annotations

import pytest
from support.budget import cpu_budget

from mailyard.web.api.unsubscribe import parse_unsubscribe


@pytest.mark.parametrize(
    ("header", "links", "errors"),
    [
        (
            "<mailto:u@example.com>, <https://example.com/u>",
            ("mailto:u@example.com", "https://example.com/u"),
            "",
        ),
        ("<https://example.com/u> (a comment)", ("https://example.com/u",), ""),
        ("mailto:u@example.com", (), '"mailto:u@example.com" no valid unsubscribe links found'),
        ("x <https://a.example>", (), '"x <https://a.example>" should be enclosed in <>'),
        (
            "<mailto:a@x.y>, <https://a.example>, <https://b.example>",
            (),
            '"<mailto:a@x.y>, <https://a.example>, <https://b.example>" should include a '
            "maximum of one email and one HTTP link",
        ),
        (
            "<mailto:a@x.y> ; <https://a.example>",
            (),
            '"<mailto:a@x.y> ; <https://a.example>" <> should be split with a comma and optional '
            "spaces",
        ),
        ("<https://a.example/x y>", (), '"https://a.example/x y" should not contain spaces'),
        (
            "<mailto:a@x.y>, <mailto:b@x.y>",
            ("mailto:a@x.y",),
            '"mailto:b@x.y" should only contain one mailto:',
        ),
        (
            "<https://a.example>, <http://b.example>",
            ("https://a.example",),
            '"http://b.example" should only contain one HTTP link',
        ),
        (
            "<ftp://a.example>",
            (),
            '"ftp://a.example" should start with either http(s):// or mailto:',
        ),
        (
            "<https://a.example/%zz>",
            (),
            'parse "https://a.example/%zz": invalid URL escape "%zz"',
        ),
    ],
)
def test_mailpit_links_and_errors(header: str, links: tuple[str, ...], errors: str) -> None:
    parsed = parse_unsubscribe(header)
    assert (parsed.links, parsed.errors) == (links, errors)


@pytest.mark.parametrize("header", ["<" * 50_000, "<a" * 30_000 + ">", "(" * 50_000, ">" * 50_000])
def test_hostile_headers_take_linear_time(header: str) -> None:
    with cpu_budget(0.5, "a hostile List-Unsubscribe"):
        parse_unsubscribe(header)
