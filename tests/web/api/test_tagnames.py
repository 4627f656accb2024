"""Tag names cleaned, made unique and ordered as Mailpit does."""

from __future__ import annotations

from mailyard.web.api.shapes import tag_order
from mailyard.web.api.tagnames import clean_tag, clean_tags, spellings


def test_clean_tag() -> None:
    assert [clean_tag(t) for t in ("b tag!", "é-x", "a/b", "!!!", "  a   b  ", "x" * 150)] == [
        "b tag",
        "-x",
        "a b",
        "",
        "a b",
        "x" * 100,
    ]


def test_unique_case_insensitively_first_spelling_or_the_existing_one_wins() -> None:
    assert clean_tags(["b tag!", "B TAG", "alpha", "Zed", "é-x"], []) == [
        "b tag",
        "alpha",
        "Zed",
        "-x",
    ]
    assert clean_tags(["ALPHA"], ["alpha"]) == ["alpha"]


def test_order_and_spellings() -> None:
    assert tag_order(["Zed", "b tag", "alpha", "-x"]) == ["-x", "alpha", "b tag", "Zed"]
    assert spellings("FOO", ["foo", "Foo", "bar"]) == ["foo", "Foo"]
