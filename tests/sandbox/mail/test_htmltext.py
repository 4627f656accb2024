"""The visible text of HTML bodies."""

from __future__ import annotations

from mailyard.sandbox.mail.htmltext import html_to_text


def test_hidden_elements_tags_and_entities() -> None:
    markup = (
        "<html><head><title>t</title><style>p{}</style></head><body>"
        "<p>Reset&nbsp;your <b>password</b></p><script>x()</script><STYLE >y</style >ok</body>"
    )
    assert html_to_text(markup).split() == ["Reset", "your", "password", "ok"]


def test_unclosed_elements() -> None:
    assert html_to_text("a<style>b<p>c").split() == ["a"]  # raw text to the end, as browsers do
    assert html_to_text("<head><title>t</title><body>text").split() == ["text"]
    assert html_to_text("<head>no body at all <p>x</p>").split() == ["no", "body", "at", "all", "x"]
    assert html_to_text("1 < 2 and 3 > 2") == "1   2"
    assert html_to_text("a <b") == "a <b"


def test_character_references() -> None:
    assert html_to_text("&#65;&#x42;&#0000067;&amp;") == "ABC&"
    assert html_to_text("&#" + "9" * 5000 + ";") == "\ufffd"
    assert html_to_text("&#x" + "f" * 40) == "\ufffd"
