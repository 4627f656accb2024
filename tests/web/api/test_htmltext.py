"""An HTML-only message's text, as Mailpit's html2text gives it: layout, and links written
`text ( url )`."""

from __future__ import annotations

from support.budget import cpu_budget

from mailyard.web.api.htmltext import MAX_HTML, TextCache, html_as_text


def test_links_read_as_mailpit_writes_them() -> None:
    text = html_as_text(
        "<p>Hi <b>Jürgen</b>, <a href='https://x.example/i?a=1'>View Invitation</a>, "
        "<a href='mailto:a@b.example'>a@b.example</a> <a href='https://u.example'>"
        "https://u.example</a></p><ul><li>one</li></ul><script>alert(1)</script>"
    )
    assert "View Invitation ( https://x.example/i?a=1 )" in text
    assert "a@b.example (" not in text and "https://u.example (" not in text
    assert "* one" in text and "alert" not in text and "Jürgen" in text


def test_odd_input_never_raises() -> None:
    for html in ("", "<!-- only a comment -->", "<", "\x00<p>a</p>", "<div>" * 10_000 + "deep"):
        assert isinstance(html_as_text(html), str)


def test_only_the_first_part_of_a_huge_body_is_converted() -> None:
    huge = "<table>" + "<tr><td>a</td><td>b</td></tr>" * 100_000 + "</table>"
    assert len(huge) > MAX_HTML
    with cpu_budget(10, "converting a huge table"):
        html_as_text(huge)


async def test_the_cache_keeps_a_conversion() -> None:
    cache = TextCache(entries=1)
    first = await cache.text("<p>one</p>")
    assert first.strip() == "one" and await cache.text("<p>one</p>") is first
    await cache.text("<p>two</p>")
    assert await cache.text("<p>one</p>") is not first  # evicted, converted again
