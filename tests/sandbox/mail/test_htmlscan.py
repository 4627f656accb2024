"""The linear HTML scanner: what it reads, what it skips, where it stops."""

from __future__ import annotations

from mailyard.sandbox.mail.htmlscan import MAX_ELEMENTS, MAX_TOKENS, Anchor, scan


def test_anchors_images_stylesheets_and_text() -> None:
    page = scan(
        "<html><head><title>Hidden</title><style>a{color:red}</style>"
        '<link rel="Stylesheet preload" href="https://x.example/s.css"><link rel=icon href=i.png>'
        "</head><body><!--[if mso]><a href='https://x.example/mso'>MSO</a><![endif]-->"
        "<p>Hello&nbsp;<b>you</b></p><table><tr><td>1</td><td>2</td></tr></table>"
        '<A HREF="https://x.example/?a=1&amp;b=2">Go <i>now</i></A>'
        "<a href=/logo><img src='l.png' alt=\"Our logo\"></a>"
        '<script>document.write("<a href=no>")</script> a < b</body></html>'
    )
    assert page.anchors == [
        Anchor("https://x.example/?a=1&b=2", "Go now", image_only=False),
        Anchor("/logo", "Our logo", image_only=True),
    ]
    assert page.images == ["l.png"] and page.stylesheets == ["https://x.example/s.css"]
    assert "Hidden" not in page.text and "color" not in page.text and "MSO" not in page.text
    assert "Hello\xa0you" in page.text and "1\n" in page.text and "a < b" in page.text


def test_inline_tags_join_and_block_tags_break() -> None:
    page = scan("<div><span>4</span><span>8</span></div><td>1</td><td>2</td>")
    assert page.text.split() == ["48", "1", "2"]


def test_an_unclosed_quote_swallows_the_rest_like_a_browser() -> None:
    page = scan('<p>before</p><a href="https://x.example/a>first</a><p>more</p>')
    assert page.anchors == [] and page.text.strip() == "before"  # EOF inside a tag drops it
    page = scan('<a href="https://x.example/a>first</a><a href="https://x.example/b">b</a>')
    assert [a.href for a in page.anchors] == ["https://x.example/a>first</a><a href="]


def test_anchors_without_end_tags_close_at_the_next_anchor() -> None:
    page = scan('<a href="/1">one<a href="/2">two')
    assert [(a.href, a.text) for a in page.anchors] == [("/1", "one"), ("/2", "two")]


def test_many_attributes_and_elements_are_capped() -> None:
    page = scan('<a href="/x" ' + "data-x=1 " * 500 + ">x</a>")
    assert page.anchors == [Anchor("/x", "x", image_only=False)]
    page = scan('<a href="/x">x</a>' * (MAX_ELEMENTS + 10))
    assert len(page.anchors) == MAX_ELEMENTS // 2
    page = scan("<!---->" * (MAX_TOKENS + 5) + '<a href="/late">late</a>')
    assert page.anchors == []  # nothing after the MAX_TOKENS-th token is read


def test_stray_markup_is_text_and_never_raises() -> None:
    for markup in [
        "<",
        "<<>>",
        "</",
        "</>",
        "<!",
        "<!-",
        "<?",
        "<a",
        "<a href",
        "<a href=",
        "&",
        "&#xFFFFFFFF;",
    ]:
        scan(markup)
    assert scan("1 < 2 and 3 > 2").text == "1 < 2 and 3 > 2"
