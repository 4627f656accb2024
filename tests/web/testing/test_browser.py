"""`follow`: a link opened as a browser opens it, against a small site of our own."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mailyard.web.testing.browser import Browser
from mailyard.web.testing.inbox import Inbox
from mailyard.web.testing.message import Link


class Site(BaseHTTPRequestHandler):
    """/go sets a cookie and redirects twice; /page shows what the browser sent."""

    def do_GET(self) -> None:
        if self.path.startswith("/go"):
            self.send_response(302)
            self.send_header("Set-Cookie", "session=s1; Path=/")
            self.send_header("Location", "/hop")
        elif self.path == "/hop":
            self.send_response(303)
            self.send_header("Location", "/page")
        else:
            body = "|".join(
                self.headers.get(h, "") for h in ("Cookie", "User-Agent", "Sec-Fetch-Mode")
            ).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_redirects_are_followed_with_the_cookies_they_set(site: str, inbox: Inbox) -> None:
    page = inbox.follow(f"{site}/go?token=abc")
    assert page.status_code == 200
    assert [r.status_code for r in page.history] == [302, 303]
    cookie, agent, mode = page.text.split("|")
    assert cookie == "session=s1" and agent.startswith("Mozilla/5.0") and mode == "navigate"


def test_cookies_last_for_the_test(site: str, inbox: Inbox) -> None:
    inbox.follow(Link(url=f"{site}/go"))
    assert inbox.follow(f"{site}/page").text.startswith("session=s1|")


def test_a_new_browser_has_no_cookies(site: str) -> None:
    browser = Browser()
    try:
        assert browser.get(f"{site}/page").text.startswith("|Mozilla/5.0")
    finally:
        browser.close()


def test_only_web_links_are_followed(inbox: Inbox) -> None:
    with pytest.raises(ValueError, match=r"not 'mailto:help@example\.test'"):
        inbox.follow("mailto:help@example.test")
