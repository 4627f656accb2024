"""Click tracking of the inbox's view: each web link pointed at the route with every other byte
kept, the same links as the redirect's allowed targets, and work bounded on hostile markup."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import quote

from mailyard.sandbox import link_targets, track_links
from mailyard.sandbox.mail.htmlscan import MAX_ELEMENTS

ADDED = ' href="{}" target="_blank" rel="noopener noreferrer"'
EMAIL = (
    "<!doctype html><html><head><style>a > b { color: red }</style></head><body>"
    '<p><a class="btn" href="https://app.example/verify?t=1&amp;u=2" target="_self">Verify</a></p>'
    "<p><A HREF=' http://example.org/x '>spaced</A> <a href=mailto:help@example.com>mail</a>"
    ' <a href="javascript:alert(1)">js</a> <a href="/relative">rel</a> <a name=top>anchor</a>'
    '<!-- <a href="https://in.comment/"> --><script>"<a href=\'https://in.script/\'>"</script>'
    "</body></html>"
)


def route(url: str) -> str:
    return "/view/M/click?u=" + quote(url, safe="")


def test_web_links_point_at_the_route_and_every_other_byte_stays() -> None:
    tracked = track_links(EMAIL, route)
    for url in ("https://app.example/verify?t=1&u=2", "http://example.org/x"):
        added = ADDED.format(route(url).replace("&", "&amp;"))
        assert added in tracked
        tracked = tracked.replace(added, "", 1)
    assert tracked == EMAIL  # nothing else moved, nothing else was rewritten


def test_the_routes_attributes_come_first_so_a_parser_keeps_them() -> None:
    """HTML keeps the first of two attributes with one name (a browser drops the email's own)."""

    class Anchors(HTMLParser):
        found: list[list[tuple[str, str | None]]] = []  # noqa: RUF012

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "a" and any(v and v.startswith("/view/") for _, v in attrs):
                self.found.append(attrs)

    parser = Anchors()
    parser.feed(track_links(EMAIL, route))
    assert len(parser.found) == 2
    for attrs in parser.found:
        assert attrs[:3] == [
            ("href", attrs[0][1]),
            ("target", "_blank"),
            ("rel", "noopener noreferrer"),
        ]


def test_targets_are_the_web_links_as_a_browser_follows_them() -> None:
    assert link_targets(EMAIL) == {"https://app.example/verify?t=1&u=2", "http://example.org/x"}
    assert link_targets("<p>https://only.text.example/</p>") == frozenset()


def test_hostile_markup_rewrites_a_bounded_number_of_links() -> None:
    many = '<a href="https://x.example/">x</a>' * (MAX_ELEMENTS * 5)
    tracked = track_links(many, route)
    assert 0 < tracked.count('target="_blank"') <= MAX_ELEMENTS
    unclosed = "<a href=" * 50_000  # quadratic for html.parser; one pass here
    assert track_links(unclosed, route) == unclosed
