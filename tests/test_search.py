"""Mailpit's search syntax: parsing, and what matches in a real store."""

from __future__ import annotations

import pytest

from sandbox import queries
from sandbox.errors import QueryError
from sandbox.messages import Envelope
from sandbox.search import Term, compile_query, parse
from sandbox.store import Store


def test_parse_fields_phrases_and_negation() -> None:
    assert parse('reset "your password" -from:spam@x.io subject:"Welcome aboard" is:unread') == [
        Term(None, "reset", False),
        Term(None, "your password", False),
        Term("from", "spam@x.io", True),
        Term("subject", "Welcome aboard", False),
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
        compile_query(query)


def _raw(subject: str, sender: str, to: str, body: str, extra: str = "") -> bytes:
    return f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n{extra}\r\n{body}\r\n".encode()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    s = Store(str(tmp_path_factory.mktemp("search") / "s.db"))
    s.open()
    rows = [
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
        s.ingest_sync(_raw(subject, sender, to, body), Envelope("s@x.io", (to.split()[-1],)))
    return s


def _subjects(store: Store, query: str, tz: str | None = None) -> list[str]:
    page = queries.list_page(store.reader, mailbox=None, start=0, limit=50, query=query, tz=tz)
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
        ("go", ["ok"]),  # shorter than a trigram still matches
        ("to:ab@", ["ok"]),
        ("nothing-like-this", []),
        ("has:attachment", []),
        ("larger:1", ["Invoice 42", "Reset your password", "Willkommen bei GRÜNWALD", "ok"]),
        ("smaller:1", []),
        (
            "after:2000-01-01 before:2999-01-01",
            ["Invoice 42", "Reset your password", "Willkommen bei GRÜNWALD", "ok"],
        ),
        ("before:2000-01-01", []),
        ("after:1h", ["Invoice 42", "Reset your password", "Willkommen bei GRÜNWALD", "ok"]),
        ("is:unread invoice", ["Invoice 42"]),
        ("is:read", []),
        ('100% "x_y"', []),  # LIKE wildcards are escaped
    ],
)
def test_search_matches(store: Store, query: str, expected: list[str]) -> None:
    assert _subjects(store, query) == expected


def test_time_zone_shifts_day_boundaries(store: Store) -> None:
    # Every message was stored just now; a date far ahead in any zone excludes none.
    assert len(_subjects(store, "before:2999-12-31", tz="Pacific/Auckland")) == 4
