"""Mailpit's search syntax: parsing, and what matches in a real store."""

from __future__ import annotations

import pytest

from mailyard.sandbox.errors import QueryError
from mailyard.sandbox.store import Store
from mailyard.sandbox.store.records import Envelope
from mailyard.sandbox.store.search import Term, compile_query, parse


def test_parse_fields_phrases_and_negation() -> None:
    assert parse('reset "your password" -from:spam@x.io subject:"Welcome aboard" is:unread') == [
        Term(None, "reset", False),
        Term(None, "your password", False, quoted=True),
        Term("from", "spam@x.io", True),
        Term("subject", "Welcome aboard", False, quoted=True),
        Term("is", "unread", False),
    ]


def test_unknown_field_is_searched_as_text() -> None:
    assert parse("https://example.com") == [Term(None, "https://example.com", False)]
    assert parse("foo:bar") == [Term(None, "foo:bar", False)]


@pytest.mark.parametrize(
    "query", ["is:maybe", "has:wings", "before:soon", "larger:lots", "subject:"]
)
def test_bad_terms_raise_query_error(query: str) -> None:
    with pytest.raises(QueryError):
        compile_query(query, now=0.0)


def _raw(subject: str, sender: str, to: str, body: str, extra: str = "") -> bytes:
    return f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n{extra}\r\n{body}\r\n".encode()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    s = Store(str(tmp_path_factory.mktemp("search") / "s.db"))
    s.open()
    rows = [
        (
            "パスワードの再設定",
            "認証 <auth@example.jp>",
            "taro@example.jp",
            "リンクをクリックしてください",
        ),
        (
            "Willkommen bei GRÜNWALD",
            "Grünwald <noreply@gruenwald.de>",
            "jan@example.com",
            "Straße und Ärger",
        ),
        (
            "Reset your password",
            "Auth <auth@example.com>",
            "jane+reset@example.com",
            "Click the link",
        ),
        ("Invoice 42", "Billing <billing@shop.io>", "bob@example.com", "Your invoice is attached"),
        ("ok", "Tiny <t@x.io>", "ab@example.com", "go"),
    ]
    for subject, sender, to, body in rows:
        s.messages.ingest_sync(
            _raw(subject, sender, to, body), Envelope("s@x.io", (to.split()[-1],))
        )
    return s


def _subjects(store: Store, query: str, tz: str | None = None) -> list[str]:
    page = store.messages.page(limit=50, query=query, tz=tz)
    return sorted(m.subject for m in page.messages)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("grünwald", ["Willkommen bei GRÜNWALD"]),  # Unicode case-insensitive
        ("STRASSE", ["Willkommen bei GRÜNWALD"]),  # casefolding: ß == ss
        ("äRGER", ["Willkommen bei GRÜNWALD"]),
        ('"your password"', ["Reset your password"]),
        ("from:billing", ["Invoice 42"]),
        ("from:shop.io", ["Invoice 42"]),
        ("to:jane", ["Reset your password"]),
        ("subject:invoice", ["Invoice 42"]),
        ("-subject:invoice from:example.com", ["Reset your password"]),
        ("tag:reset", ["Reset your password"]),
        ("go", ["ok"]),  # a short word matches too
        ("to:ab@", ["ok"]),
        ("inv", ["Invoice 42"]),  # a word matches as a prefix
        ("voice", []),  # but not from its middle
        ('"invoice 4"', []),  # a quoted phrase is whole words
        ("to:example.com", ["Invoice 42", "Reset your password", "Willkommen bei GRÜNWALD", "ok"]),
        ("to:jane+reset@example.com", ["Reset your password"]),
        ("from:noreply@gruenwald", ["Willkommen bei GRÜNWALD"]),
        ("再設定", ["パスワードの再設定"]),  # CJK matches as a substring
        ("クリック", ["パスワードの再設定"]),
        ("-from:example.com -to:example.jp", ["Invoice 42", "Willkommen bei GRÜNWALD", "ok"]),
        (
            "@",
            [
                "Invoice 42",
                "Reset your password",
                "Willkommen bei GRÜNWALD",
                "ok",
                "パスワードの再設定",
            ],
        ),
        ("nothing-like-this", []),
        ("has:attachment", []),
        (
            "larger:1",
            [
                "Invoice 42",
                "Reset your password",
                "Willkommen bei GRÜNWALD",
                "ok",
                "パスワードの再設定",
            ],
        ),
        ("smaller:1", []),
        (
            "after:2000-01-01 before:2999-01-01",
            [
                "Invoice 42",
                "Reset your password",
                "Willkommen bei GRÜNWALD",
                "ok",
                "パスワードの再設定",
            ],
        ),
        ("before:2000-01-01", []),
        (
            "after:1h",
            [
                "Invoice 42",
                "Reset your password",
                "Willkommen bei GRÜNWALD",
                "ok",
                "パスワードの再設定",
            ],
        ),
        ("is:unread invoice", ["Invoice 42"]),
        ("invoice -billing", []),
        ("invoice -reset", ["Invoice 42"]),
        ("is:read", []),
        ('100% "x_y"', []),
    ],
)
def test_search_matches(store: Store, query: str, expected: list[str]) -> None:
    assert _subjects(store, query) == expected


def test_time_zone_shifts_day_boundaries(store: Store) -> None:
    # Every message was stored just now; a date far ahead in any zone excludes none.
    assert len(_subjects(store, "before:2999-12-31", tz="Pacific/Auckland")) == 5


def test_counts_are_exact_whether_or_not_the_page_holds_every_match(store: Store) -> None:
    query = "to:example"  # the four messages addressed to example.com / example.jp and more
    full = store.messages.page(limit=50, query=query)
    paged = store.messages.page(start=1, limit=2, query=query)
    assert full.count == paged.count == len(full.messages) >= 3
    assert full.count_unread == paged.count_unread == full.count
    assert [m.seq for m in paged.messages] == [m.seq for m in full.messages[1:3]]
