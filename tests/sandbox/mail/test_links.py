"""Links extracted from auth emails: tokens in query, path and fragment; the action link first."""

from __future__ import annotations

import pytest

from mailyard.sandbox.mail.links import MAX_LINKS, MAX_URL_CHARS, extract_links
from mailyard.sandbox.mail.tokens import looks_random, path_token, query_tokens


def test_html_anchor_text_and_tokens() -> None:
    html = (
        '<a href="https://x.example/verify?token=t0k&amp;next=%2Fhome">Verify <b>email</b></a>'
        '<a href="#top">top</a><a href="mailto:help@x.example">Help</a>'
        '<a href="https://x.example/logo"><img src="l.png" alt="Logo"></a>'
    )
    links = extract_links("", html)
    assert [link.url for link in links] == [
        "https://x.example/verify?token=t0k&next=%2Fhome",
        "https://x.example/logo",
        "mailto:help@x.example",
    ]
    assert links[0].text == "Verify email" and links[0].tokens == {"token": "t0k"}
    assert links[0].query == {"token": ["t0k"], "next": ["/home"]}
    assert links[0].role == "action" and links[2].role == "footer"
    assert links[1].text == "Logo"


def test_text_urls_are_found_and_trimmed() -> None:
    links = extract_links("Open https://x.example/a?code=9, or (https://x.example/b).", "")
    assert [link.url for link in links] == ["https://x.example/a?code=9", "https://x.example/b"]
    assert links[0].tokens == {"code": "9"} and links[0].source == "text"


def test_json_keeps_the_old_keys_and_adds_the_token_parts() -> None:
    (link,) = extract_links(
        "https://app.example/reset/MQ/c4f2kx-8d0f3e5c1a2b4d6e8f0a1b2c3d4e5f6a/", ""
    )
    data = link.as_json()
    assert {"url", "text", "source", "scheme", "host", "path", "query", "tokens"} <= set(data)
    assert data["host"] == "app.example" and data["scheme"] == "https"
    assert data["path_token"] == data["token"] == "c4f2kx-8d0f3e5c1a2b4d6e8f0a1b2c3d4e5f6a"
    assert data["token_where"] == "path" and data["token_name"] == "2"
    assert data["role"] == "action"


@pytest.mark.parametrize(
    ("url", "where", "name", "token"),
    [
        ("https://a.example/r?t=ml_AbC123", "query", "t", "ml_AbC123"),
        (
            "https://a.example/__/auth/action?mode=resetPassword&oobCode=Xy9_kQ2mN&apiKey=AIzaSyB",
            "query",
            "oobCode",
            "Xy9_kQ2mN",
        ),
        (
            "https://a.example/login/ott?token=5f0d7c1e-9a4b-4c2e-8f3d-2b1a0c9e8d7f",
            "query",
            "token",
            "5f0d7c1e-9a4b-4c2e-8f3d-2b1a0c9e8d7f",
        ),
        (
            "https://a.example/reset-password/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08?email=j%40x.example",
            "path",
            "1",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        ),
        (
            "https://a.example/users/reset_password/kQ2mN9pAxZ3bR7tY1uW5vC8dE4fG6hJ0",
            "path",
            "2",
            "kQ2mN9pAxZ3bR7tY1uW5vC8dE4fG6hJ0",
        ),
        (
            "https://a.example/index.php/lostpassword/reset/form/Ab3dE6gH9jK2mN5pQ8sT1/jane",
            "path",
            "4",
            "Ab3dE6gH9jK2mN5pQ8sT1",
        ),
        (
            "https://a.example/accounts/confirm-email/MQ:1uAbCd:Qk3r9mUvW2xLpN8s/",
            "path",
            "2",
            "MQ:1uAbCd:Qk3r9mUvW2xLpN8s",
        ),
        (
            "http://127.0.0.1:8090/_/#/auth/confirm-password-reset/eyJhbGciOi.eyJpZCI6IjEifQ.c2ln",
            "fragment",
            "2",
            "eyJhbGciOi.eyJpZCI6IjEifQ.c2ln",
        ),
        (
            "https://a.example/welcome#access_token=Qm9vT2s5ZXhhbXBsZQ&type=recovery",
            "fragment",
            "access_token",
            "Qm9vT2s5ZXhhbXBsZQ",
        ),
        (
            "https://v1.example/magic_links/redirect?public_token=public-token-test-1&stytch_token_type=magic_links&token=Xy7kQ2mN9pAb",
            "query",
            "token",
            "Xy7kQ2mN9pAb",
        ),
        (
            "https://a.example/Identity/Account/ConfirmEmail?userId=8f14e45f-ceea-467f-a0e6-1d2c3b4a5f6e&code=Q2ZESjhBTS1vZ3Vu&returnUrl=%2F",
            "query",
            "code",
            "Q2ZESjhBTS1vZ3Vu",
        ),
        (
            "https://a.example/email/verify/42/763da0ecec180991a4fc1a4d74373e47f6f08638?expires=1772787300&signature=89ace0e7d32db9fc",
            "query",
            "signature",
            "89ace0e7d32db9fc",
        ),
    ],
)
def test_the_primary_token_and_where_it_was(url: str, where: str, name: str, token: str) -> None:
    (link,) = extract_links(url, "")
    assert (link.token_where, link.token_name, link.token) == (where, name, token)


@pytest.mark.parametrize(
    "url",
    [
        "https://a.example/blog/2026/03/my-great-post-2024",
        "https://a.example/GettingStartedGuide2024",
        "https://a.example/r?t=1700000000&utm_source=email&lang=en",
        "https://a.example/login?redirect_to=https%3A%2F%2Fa.example%2Fdashboard&email=j%40x.example",
        "https://a.example/orders/100234",
        "https://a.example/static/9f86d081884c7d659a2feaa0c55ad015.png",
        "https://a.example/p?client_id=Ab3dE6gH9jK2mN5pQ8sT1&apiKey=AIzaSyBAb3dE6gH9jK2mN5pQ8sT1",
    ],
)
def test_no_token_where_there_is_none(url: str) -> None:
    (link,) = extract_links(url, "")
    assert link.token == "" and link.role == "link", link


def test_the_action_link_comes_before_logo_unsubscribe_and_social_links() -> None:
    html = (
        '<a href="https://news.example/unsubscribe?token=Qm9vT2s5ZXhhbXBsZQ1x">Unsubscribe</a>'
        '<a href="https://app.example/"><img src="https://app.example/logo.png" alt="App"></a>'
        '<a href="https://twitter.com/app">Twitter</a>'
        '<a href="https://app.example/terms">Terms</a>'
        '<p><a href="https://app.example/auth/v1/verify?token=4f2a9c&type=magiclink">Log in</a></p>'
    )
    links = extract_links("", html)
    assert links[0].url == "https://app.example/auth/v1/verify?token=4f2a9c&type=magiclink"
    roles = {link.url: link.role for link in links}
    assert roles["https://news.example/unsubscribe?token=Qm9vT2s5ZXhhbXBsZQ1x"] == "footer"
    assert roles["https://twitter.com/app"] == roles["https://app.example/terms"] == "footer"
    assert roles["https://app.example/"] == "link"
    assert next(link for link in links if link.token).url == links[0].url


def test_a_url_in_both_parts_is_reported_once_from_the_html() -> None:
    url = "https://a.example/verify?token=abc123"
    links = extract_links(f"Verify: {url}", f'<a href="{url}">Verify</a> or paste {url}')
    assert [(link.url, link.source, link.text) for link in links] == [(url, "html", "Verify")]


def test_whitespace_inside_an_href_is_dropped_as_browsers_do() -> None:
    (link,) = extract_links("", '<a href=" https://a.example/r?\ntoken=abc\t123\r\n ">x</a>')
    assert link.url == "https://a.example/r?token=abc123"


def test_bounded_number_and_length_of_links() -> None:
    many = " ".join(f"https://a.example/{i}" for i in range(MAX_LINKS + 50))
    assert len(extract_links(many, "")) == MAX_LINKS
    huge = "https://a.example/" + "a" * MAX_URL_CHARS
    assert extract_links(f"{huge} https://a.example/ok", "")[0].url == "https://a.example/ok"


def test_malformed_urls_are_kept_without_parts() -> None:
    html = '<a href="http://[oops/reset?token=1">a</a><a href="http://[::1]:99999/x">b</a>'
    links = extract_links("and http://[::1]:8080/y", html)
    assert [link.url for link in links] == [
        "http://[oops/reset?token=1",
        "http://[::1]:99999/x",
        "http://[::1]:8080/y",
    ]
    assert links[0].as_json()["host"] == "" and links[2].as_json()["host"] == "::1"


def test_query_tokens_by_name_and_shape() -> None:
    found = query_tokens(
        [
            ("t", "1700000000"),
            ("k", "Ab3dE6"),
            ("confirm", "1"),
            ("signature", "abcdef12"),
            ("upn", "Qm9vT2s5ZXhhbXBsZQ"),
            ("email", "a@b.example"),
            ("token", "x"),
        ]
    )
    assert [(t.name, t.tier) for t in found] == [
        ("k", 3),
        ("token", 3),
        ("signature", 2),
        ("upn", 1),
    ]


def test_path_tokens() -> None:
    django = path_token("/reset/MQ/c4f2kx-8d0f3e5c1a2b4d6e8f0a1b2c3d4e5f6a/")
    assert django is not None and django.tier == 3 and django.name == "2"
    hinted = path_token("/verify/ABC123")
    assert hinted is not None and hinted.value == "ABC123"
    assert path_token("/verify/confirmed") is None
    assert path_token("/docs/getting-started-with-2fa") is None


@pytest.mark.parametrize(
    ("value", "random"),
    [
        ("Qm9vT2s5ZXhhbXBsZQ", True),
        ("9f86d081884c7d659a2f", True),
        ("5f0d7c1e-9a4b-4c2e-8f3d-2b1a0c9e8d7f", True),
        ("my-great-post-2024", False),
        ("GettingStartedGuide2024", False),
        ("aaaaaaaaaaaaaaaaaaaa", False),
        ("0123456789012345", False),
    ],
)
def test_looks_random(value: str, random: bool) -> None:
    assert looks_random(value) is random
