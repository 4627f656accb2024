"""The content checks of a stored message: verdicts, counts that read right, advice on failure."""

from __future__ import annotations

from dataclasses import dataclass

from mailyard.sandbox.mail.checks import Finding, plural, review
from mailyard.sandbox.mail.htmlcheck import check_html
from mailyard.sandbox.mail.links import extract_links
from mailyard.sandbox.mail.view import MessageView, view_message

GOOD_HTML = (
    '<!doctype html><html lang="en"><body><table><tr><td>'
    '<p>Hi</p><a href="https://example.com/reset?token=abc">Reset</a>'
    '<img src="https://example.com/logo.png" alt="Example">'
    "</td></tr></table></body></html>"
)


def finding(findings: tuple[Finding, ...], name: str) -> Finding:
    return next(f for f in findings if f.name == name)


def reviewed(text: str, html: str) -> tuple[Finding, ...]:
    message = MessageView(text=text, html=html)
    return review(message, extract_links(text, html)).findings


def test_counts_read_right_in_english() -> None:
    assert plural(1, "link") == "1 link"
    assert plural(2, "link") == "2 links"
    assert plural(0, "image") == "0 images"
    assert plural(1234, "link") == "1,234 links"


def test_a_good_auth_email_passes_the_content_checks() -> None:
    findings = reviewed("Reset: https://example.com/reset?token=abc", GOOD_HTML)
    for name in (
        "Plain-text part",
        "Links over https",
        "HTML size",
        "Images with alt text",
        "Language declared",
    ):
        assert finding(findings, name).verdict == "pass", name
        assert finding(findings, name).advice == ""
    assert finding(findings, "Links over https").detail == "1 link, all https"
    assert finding(findings, "Images with alt text").detail == "1 image, all with alt text"
    assert finding(findings, "Language declared").detail == 'lang="en" on <html>'
    assert finding(findings, "Link check") == Finding("Link check", "info", "not run")


def test_failures_say_what_and_what_to_do() -> None:
    html = (
        '<html><body><a href="http://example.com/a">a</a><a href="https://example.com/b">b</a>'
        '<img src="a.png"><img src="b.png" alt=""><img src="c.png"></body></html>'
    )
    findings = reviewed("", html)
    text = finding(findings, "Plain-text part")
    assert (text.verdict, text.detail) == ("fail", "missing") and "text/plain" in text.advice
    links = finding(findings, "Links over https")
    assert links.verdict == "fail"
    assert links.detail == "1 of 2 links not https"
    assert links.items == ("http://example.com/a",)
    images = finding(findings, "Images with alt text")
    assert images.detail == "2 images without alt text, of 3"
    assert images.items == ("a.png", "c.png")
    assert finding(findings, "Language declared").verdict == "warn"
    assert findings[0].verdict == "fail"  # worst first


def test_one_image_without_alt_reads_singular() -> None:
    findings = reviewed("x", '<html lang="de"><img src="x.png"></html>')
    assert finding(findings, "Images with alt text").detail == "1 image without alt text, of 1"


def test_html_size_against_gmail_clipping() -> None:
    small = finding(reviewed("x", GOOD_HTML), "HTML size")
    assert small.verdict == "pass" and "of Gmail's 102 KB clipping limit" in small.detail
    near = finding(reviewed("x", GOOD_HTML + " " * 95_000), "HTML size")
    assert near.verdict == "warn"
    big = finding(reviewed("x", GOOD_HTML + " " * 110_000), "HTML size")
    assert big.verdict == "fail" and "View entire message" in big.advice


def test_text_only_message_skips_html_checks() -> None:
    result = review(MessageView(text="Your code is 123456", html=""), [])
    names = {f.name for f in result.findings}
    assert "HTML size" not in names and "HTML compatibility" not in names
    assert finding(result.findings, "HTML part").verdict == "info"
    assert result.families == ()


def test_html_compatibility_summarises_the_four_families() -> None:
    html = '<html lang="en"><body><div style="display:flex;border-radius:4px">x</div></body></html>'
    result = review(MessageView(text="x", html=html), [])
    assert [f.family for f in result.families] == ["gmail", "outlook", "apple-mail", "yahoo"]
    scores = check_html(html).family_scores()
    assert result.families[0].score == scores["gmail"].supported
    compatibility = finding(result.findings, "HTML compatibility")
    assert compatibility.verdict in ("warn", "fail")
    assert "Gmail" in compatibility.detail and "Outlook" in compatibility.detail
    assert any("display" in item for item in compatibility.items)
    assert compatibility.advice


def test_precomputed_html_check_is_used() -> None:
    html_check = check_html(GOOD_HTML)
    result = review(MessageView(text="x", html=GOOD_HTML), [], html_check=html_check)
    assert result.families[0].score == html_check.family_scores()["gmail"].supported


@dataclass(frozen=True)
class _Checked:
    url: str
    status_code: int
    status: str

    @property
    def is_error(self) -> bool:
        return self.status_code == 0 or self.status_code >= 400


@dataclass(frozen=True)
class _LinkCheck:
    links: tuple[_Checked, ...]


def test_link_check_result_is_reported() -> None:
    ok = _LinkCheck((_Checked("https://a.example/", 200, "OK"),))
    good = review(MessageView(text="x", html=""), [], link_check=ok)
    assert finding(good.findings, "Link check").detail == "1 link checked, all answered"
    bad = _LinkCheck(
        (
            _Checked("https://a.example/", 200, "OK"),
            _Checked("https://b.example/", 404, "Not Found"),
            _Checked("https://c.example/", 0, "no such host"),
        )
    )
    failed = finding(
        review(MessageView(text="x", html=""), [], link_check=bad).findings, "Link check"
    )
    assert failed.verdict == "fail"
    assert failed.detail == "2 of 3 links failed"
    assert failed.items == (
        "https://b.example/ (404 Not Found)",
        "https://c.example/ (0 no such host)",
    )


def test_review_of_a_stored_message_and_its_json() -> None:
    raw = (
        b"From: a@example.com\r\nTo: b@example.com\r\nSubject: Reset\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/alternative; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain\r\n\r\nReset: https://example.com/r\r\n--b\r\n"
        b"Content-Type: text/html\r\n\r\n" + GOOD_HTML.encode() + b"\r\n--b--\r\n"
    )
    message = view_message(raw)
    result = review(message, extract_links(message.text, message.html))
    body = result.as_json()
    assert body["verdict"] == result.verdict
    assert body["summary"] == result.summary
    assert {f["name"] for f in body["findings"]} >= {"HTML size", "HTML compatibility"}  # type: ignore[union-attr,index]
    assert len(body["families"]) == 4  # type: ignore[arg-type]
