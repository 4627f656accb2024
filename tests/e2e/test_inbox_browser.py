"""The web inbox in a real Chromium (Debian's, driven by Playwright) against a real server."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from support.mail import Server, make_message, send
from support.servers import start_process as start_server

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
WAIT_MS = 10_000


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Server]:
    """A fresh server per test: the page shows exactly this test's mail."""
    server = start_server(tmp_path)
    yield server
    assert server.stop() == 0


@pytest.fixture
def page(browser: object, site: Server) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1200, "height": 850})  # type: ignore[attr-defined]
    tab = context.new_page()
    tab.dialogs = []
    tab.on("dialog", lambda d: (tab.dialogs.append(d.message), d.dismiss()))
    yield tab
    context.close()


def test_new_mail_appears_without_reload_with_unread_count(page: object, site: Server) -> None:
    page.goto(site.url + "/")  # type: ignore[attr-defined]
    page.wait_for_selector("text=No mail yet")  # type: ignore[attr-defined]
    send(site, make_message(subject="Arrives live"))
    page.wait_for_selector("tr.row >> text=Arrives live", timeout=WAIT_MS)  # type: ignore[attr-defined]
    expect(page).to_have_title(re.compile(r"^\(1\) "), timeout=WAIT_MS)
    send(site, make_message(subject="Second one"))
    page.wait_for_selector("tr.row >> text=Second one", timeout=WAIT_MS)  # type: ignore[attr-defined]
    assert page.locator("tr.row").first.inner_text().count("Second one") == 1  # type: ignore[attr-defined]


def test_search_narrows_the_list(page: object, site: Server) -> None:
    send(site, make_message(subject="Reset your password"))
    send(site, make_message(subject="Welcome aboard"))
    page.goto(site.url + "/")  # type: ignore[attr-defined]
    assert page.locator("tr.row").count() == 2  # type: ignore[attr-defined]
    page.fill("#q", "subject:welcome")  # type: ignore[attr-defined]
    expect(page.locator("tr.row")).to_have_count(1, timeout=WAIT_MS)  # type: ignore[attr-defined]
    assert "Welcome aboard" in page.locator("tr.row").inner_text()  # type: ignore[attr-defined]


def test_html_tab_renders_in_a_sandboxed_frame(page: object, site: Server) -> None:
    send(site, make_message(subject="Styled", html="<h1 id='hello'>Hello from HTML</h1>"))
    page.goto(site.url + "/")  # type: ignore[attr-defined]
    page.click("tr.row")  # type: ignore[attr-defined]
    frame_element = page.wait_for_selector("#mail-frame")  # type: ignore[attr-defined]
    sandbox = frame_element.get_attribute("sandbox") or ""
    assert "allow-scripts" not in sandbox and "allow-same-origin" not in sandbox
    frame = frame_element.content_frame()
    frame.wait_for_selector("#hello", timeout=WAIT_MS)
    assert frame.inner_text("#hello") == "Hello from HTML"
    page.click("#tab-text")  # type: ignore[attr-defined]
    assert "Hello there" in page.inner_text("#panel-text")  # type: ignore[attr-defined]


HOSTILE_HTML = """
<script>alert('script')</script>
<img src=x onerror="alert('onerror')">
<svg onload="alert('svg')"><circle r=5></circle></svg>
<a id=js href="javascript:alert('link')">click me</a>
<meta http-equiv="refresh" content="0;url=https://evil.example/">
<base href="https://evil.example/">
<form action="/api/v1/messages" method="post"><button id=submit>go</button></form>
<iframe srcdoc="<script>alert('srcdoc')</script>"></iframe>
<p id=marker>still here</p>
"""


def test_hostile_email_executes_nothing(page: object, site: Server) -> None:
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text))  # type: ignore[attr-defined]
    send(
        site,
        make_message(
            subject="<img src=x onerror=alert('subject')>",
            html=HOSTILE_HTML,
            sender='"<script>alert(1)</script>" <evil@example.com>',
        ),
    )
    page.goto(site.url + "/")  # type: ignore[attr-defined]
    assert "<img src=x" in page.inner_text("tr.row")  # type: ignore[attr-defined]  # shown as text
    page.click("tr.row .subject a")  # type: ignore[attr-defined]
    frame = page.wait_for_selector("#mail-frame").content_frame()  # type: ignore[attr-defined]
    frame.wait_for_selector("#marker", timeout=WAIT_MS)
    url = page.url  # type: ignore[attr-defined]
    frame.click("#js")
    frame.click("#submit")
    # A meta refresh fires after its 0 s timer; give it that chance before checking the URL.
    page.wait_for_timeout(1200)  # type: ignore[attr-defined]
    assert page.dialogs == []  # type: ignore[attr-defined]
    assert page.url == url  # type: ignore[attr-defined]
    assert frame.inner_text("#marker") == "still here"
    assert not [
        m
        for m in messages
        if "alert" in m and "Content Security Policy" not in m and "sandbox" not in m
    ]


class _Tracker(BaseHTTPRequestHandler):
    hits: list[str] = []  # noqa: RUF012 - shared by the handler instances

    def do_GET(self) -> None:
        _Tracker.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/gif")
        self.end_headers()
        self.wfile.write(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;")

    def log_message(self, *args: object) -> None:
        pass


def test_remote_image_loads_only_after_consent(page: object, site: Server) -> None:
    tracker = ThreadingHTTPServer(("127.0.0.1", 0), _Tracker)
    threading.Thread(target=tracker.serve_forever, daemon=True).start()
    _Tracker.hits = []
    pixel = f"http://127.0.0.1:{tracker.server_address[1]}/pixel.gif"
    send(
        site,
        make_message(
            subject="Tracked",
            html=f"<p id=p>hi</p><img src='{pixel}' alt='pixel'>"
            f"<div style=\"background:url('{pixel}?css')\">x</div>",
        ),
    )
    try:
        page.goto(site.url + "/")  # type: ignore[attr-defined]
        page.click("tr.row")  # type: ignore[attr-defined]
        frame = page.wait_for_selector("#mail-frame").content_frame()  # type: ignore[attr-defined]
        frame.wait_for_selector("#p", timeout=WAIT_MS)
        frame.wait_for_load_state("load")
        assert _Tracker.hits == []
        page.click("#load-remote")  # type: ignore[attr-defined]
        expect(page.locator("#mail-frame")).to_have_attribute(  # type: ignore[attr-defined]
            "src", re.compile("remote=1"), timeout=WAIT_MS
        )
        deadline = time.monotonic() + WAIT_MS / 1000
        while (
            not any(h.startswith("/pixel.gif") for h in _Tracker.hits)
            and time.monotonic() < deadline
        ):
            page.wait_for_timeout(50)  # type: ignore[attr-defined]  # the tracker is outside the page
        assert any(hit.startswith("/pixel.gif") for hit in _Tracker.hits)
    finally:
        tracker.shutdown()
        tracker.server_close()


def test_delete_selected(page: object, site: Server) -> None:
    send(site, make_message(subject="Keep"))
    send(site, make_message(subject="Remove me"))
    page.goto(site.url + "/")  # type: ignore[attr-defined]
    page.check("tr.row:has-text('Remove me') input.select")  # type: ignore[attr-defined]
    page.click("#delete-selected")  # type: ignore[attr-defined]
    expect(page.locator("tr.row")).to_have_count(1, timeout=WAIT_MS)  # type: ignore[attr-defined]
    with site.api() as api:
        assert [m["Subject"] for m in api.get("/api/v1/messages").json()["messages"]] == ["Keep"]


def test_keyboard_opens_and_returns(page: object, site: Server) -> None:
    send(site, make_message(subject="Keyboard"))
    page.goto(site.url + "/")  # type: ignore[attr-defined]
    page.keyboard.press("j")  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    page.wait_for_selector("h1.subject >> text=Keyboard", timeout=WAIT_MS)  # type: ignore[attr-defined]
    page.keyboard.press("Escape")  # type: ignore[attr-defined]
    page.wait_for_selector("#q", timeout=WAIT_MS)  # type: ignore[attr-defined]
    page.keyboard.press("/")  # type: ignore[attr-defined]
    assert page.evaluate("document.activeElement.id") == "q"  # type: ignore[attr-defined]


def test_preview_gallery_sends_a_test_into_the_sandbox(page: object, site: Server) -> None:
    page.goto(site.url + "/preview?concept=welcome")  # type: ignore[attr-defined]
    assert page.locator(".card").count() >= 18  # type: ignore[attr-defined]
    page.locator(".card").first.locator("button.send-test").click()  # type: ignore[attr-defined]
    page.wait_for_selector(".sent >> text=Sent", timeout=WAIT_MS)  # type: ignore[attr-defined]
    with site.api() as api:
        subjects = [m["Subject"] for m in api.get("/api/v1/messages").json()["messages"]]
    assert subjects == ["[TEST] Welcome to mailyard"]


def test_screenshots_light_and_dark(browser: object, site: Server, tmp_path: Path) -> None:
    send(
        site,
        make_message(
            subject="Your sign-in code is 482913",
            to="jane+signup@example.com",
            html="<h1>Sign in</h1><p>Code: <b>482913</b></p>",
        ),
    )
    shots = []
    for scheme in ("light", "dark"):
        context = browser.new_context(color_scheme=scheme, viewport={"width": 1200, "height": 800})  # type: ignore[attr-defined]
        tab = context.new_page()
        tab.goto(site.url + "/")
        shots.append(tmp_path / f"inbox-{scheme}.png")
        tab.screenshot(path=str(shots[-1]))
        tab.click("tr.row")
        tab.wait_for_selector("#mail-frame")
        shots.append(tmp_path / f"message-{scheme}.png")
        tab.screenshot(path=str(shots[-1]))
        context.close()
    assert all(p.stat().st_size > 10_000 for p in shots)


def test_inbox_fits_a_phone_without_sideways_scrolling(browser: object, site: Server) -> None:
    send(
        site,
        make_message(subject="A subject long enough to wrap on a phone " * 3, text="snippet " * 80),
    )
    context = browser.new_context(viewport={"width": 390, "height": 700})  # type: ignore[attr-defined]
    tab = context.new_page()
    tab.goto(site.url + "/")
    tab.wait_for_selector("tr.row")
    assert tab.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
