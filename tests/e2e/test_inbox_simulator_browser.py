"""The delivery simulator in the inbox, in a real Chromium (Debian's, driven by Playwright)
against a real `mailyard serve --clock-control`: the rows' marks and a message's Delivery tab
following the simulator live, an open and a click recorded from the inbox (the click redirected
to the link), the suppression list page, and a webhook delivered again from its page.

Same tier and habits as test_inbox_browser.py: one browser and one server per module, a mailbox
per test, desktop (1280 x 800) and phone (390 x 844) where the page's behaviour is the point,
no page may end with a script error, and no sleeps: every wait is on a condition.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from support.chromium import DESKTOP, PHONE, WAIT_MS, Page, new_tab, policy_violations
from support.mail import make_message, messages, send
from support.servers import Process, start_process

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    server = start_process(tmp_path_factory.mktemp("sim-site"), "--clock-control")
    yield server
    assert server.stop() == 0, server.output()


@pytest.fixture
def api(site: Process) -> Iterator[httpx.Client]:
    with site.api() as client:
        yield client


def message_id(api: httpx.Client, mailbox: str, subject: str) -> str:
    (found,) = [m for m in messages(api, mailbox) if m["Subject"] == subject]
    return str(found["ID"])


def open_live(tab: Page, url: str, live: str = "#live") -> None:
    """Open a page and wait until its live stream is connected."""
    tab.goto(url)
    expect(tab.locator(live)).to_have_attribute("data-state", "live", timeout=WAIT_MS)


def wait_for_event(api: httpx.Client, message: str, kind: str) -> dict[str, Any]:
    """The first `kind` event of the message, long-polled (the server answers when it exists)."""
    answer = api.get(
        "/api/v1/events", params={"message": message, "type": kind, "wait": 10}, timeout=20
    )
    events: list[dict[str, Any]] = answer.json()["events"]
    assert events, f"no {kind} event of {message}"
    return events[0]


def row(tab: Page, subject: str) -> Any:
    return tab.locator("tr.row", has_text=subject)


# -- the list and the timeline follow the simulator --------------------------------------------


def test_each_row_shows_its_outcome_at_both_widths(tab: Page, site: Process, mailbox: str) -> None:
    outcomes = {
        "Welcome": ("jane@example.com", "delivered"),
        "SES bounce": ("bounce@simulator.amazonses.com", "bounced"),
        "Resend complaint": ("complained@resend.dev", "complained"),
        "Resend suppressed": ("suppressed@resend.dev", "suppressed"),
        "Rejected": ("reject@sim.mailyard.test", "rejected"),
    }
    for subject, (to, _) in outcomes.items():
        send(site, make_message(subject=subject, to=to), mailbox)
    open_live(tab, site.at(mailbox=mailbox))
    expect(tab.locator("tr.row")).to_have_count(len(outcomes), timeout=WAIT_MS)
    width = tab.viewport_size["width"]
    for subject, (_, state) in outcomes.items():
        mark = row(tab, subject).locator(".mark")
        expect(mark).to_have_class(re.compile(rf"\bmark {state}\b"), timeout=WAIT_MS)
        expect(mark).to_be_visible()
    # Every mark whole on screen, read in the page at once: the live list may redraw a row
    # between two reads from here.
    tab.wait_for_function(
        """(width) => {
          const marks = Array.from(document.querySelectorAll("tr.row .mark"));
          return marks.length === 5 && marks.every((m) => {
            const box = m.getBoundingClientRect();
            return box.width > 0 && box.right <= width;
          });
        }""",
        arg=width,
        timeout=WAIT_MS,
    )
    expect(row(tab, "SES bounce").locator(".mark")).to_have_text("bounced")
    expect(row(tab, "Welcome").locator(".mark")).to_have_attribute(
        "title", "jane@example.com: delivered"
    )
    assert tab.evaluate("document.documentElement.scrollWidth") <= width


def test_a_delay_moves_on_live_in_the_list_and_the_timeline(
    browser: Any, site: Process, api: httpx.Client, mailbox: str
) -> None:
    inbox, inbox_errors = new_tab(browser, DESKTOP)
    reader, reader_errors = new_tab(browser, PHONE)
    try:
        open_live(inbox, site.at(mailbox=mailbox))
        send(
            site, make_message(subject="Delayed invoice", to="delay-2h@sim.mailyard.test"), mailbox
        )
        mark = row(inbox, "Delayed invoice").locator(".mark")
        expect(mark).to_have_text("delayed", timeout=WAIT_MS)

        message = message_id(api, mailbox, "Delayed invoice")
        open_live(reader, site.at(f"/message/{message}") + "#delivery", live="#delivery-live")
        timeline = reader.locator("#delivery")
        expect(reader.locator("#tab-delivery")).to_have_attribute("aria-selected", "true")
        expect(reader.locator("#delivery-mark")).to_have_text("delayed", timeout=WAIT_MS)
        expect(timeline.locator(".timeline:not(.scheduled) .event-title")).to_have_text(
            ["Sent", "Delayed"]
        )
        expect(timeline.locator(".scheduled .event-title")).to_have_text(["Delivered"])
        expect(timeline.locator(".scheduled")).to_contain_text("(in 1 h)")

        # The API moves the clock; neither page is reloaded.
        moved = api.post("/api/v1/clock/advance", json={"seconds": 7200})
        assert moved.status_code == 200, moved.text
        expect(timeline.locator(".timeline:not(.scheduled) .event-title")).to_have_text(
            ["Sent", "Delayed", "Delivered"], timeout=WAIT_MS
        )
        expect(timeline.locator(".scheduled")).to_have_count(0)
        expect(reader.locator("#delivery-mark")).to_have_class("mark delivered")
        expect(reader.locator("#delivery-mark [aria-hidden=true]")).to_have_text("✓")
        expect(mark).to_have_class(re.compile(r"\bdelivered\b"), timeout=WAIT_MS)
        delivered = timeline.locator(".event.delivery")
        delivered.locator("summary").click()
        expect(delivered.locator("pre.json")).to_contain_text('"eventType": "Delivery"')
        # The JSON stays open while the tab is brought up to date again.
        reader.select_option("#event-format", "resend")
        expect(timeline.locator(".event.delivery pre.json")).to_contain_text(
            '"type": "email.delivered"', timeout=WAIT_MS
        )
        assert reader.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        inbox.context.close()
        reader.context.close()
    assert inbox_errors == [] and reader_errors == []


def test_the_tab_moves_the_clock_to_a_scheduled_event(
    desktop: Page, site: Process, api: httpx.Client, mailbox: str
) -> None:
    send(site, make_message(subject="Later", to="delay-30m-softbounce@sim.mailyard.test"), mailbox)
    message = message_id(api, mailbox, "Later")
    open_live(desktop, site.at(f"/message/{message}") + "#delivery", live="#delivery-live")
    desktop.locator("button.advance").click()
    events = desktop.locator("#delivery .timeline:not(.scheduled) .event-title")
    expect(events).to_have_text(["Sent", "Delayed", "Bounced"], timeout=WAIT_MS)
    expect(desktop.locator("#delivery .event.bounce .event-detail")).to_contain_text("Transient")
    expect(desktop.locator("#delivery-mark")).to_have_text("soft bounce")  # Transient


# -- opens and clicks ---------------------------------------------------------------------------


class _Landing(BaseHTTPRequestHandler):
    """The page a link in the email leads to: records each visit."""

    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Landing.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(
            b'<!doctype html><link rel="icon" href="data:,"><title>Landed</title><h1 id=landed>Hi</h1>'
        )

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def landing() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Landing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Landing.hits = []
    yield f"http://127.0.0.1:{server.server_address[1]}/verify?token=abc123"
    server.shutdown()
    server.server_close()


def test_reading_the_html_records_an_open_and_a_click_goes_through(
    desktop: Page, site: Process, api: httpx.Client, mailbox: str, landing: str
) -> None:
    html = f'<h1>Confirm</h1><p><a id="go" href="{landing}">Confirm your email</a></p>'
    send(site, make_message(subject="Confirm please", html=html), mailbox)
    message = message_id(api, mailbox, "Confirm please")
    open_live(desktop, site.at(f"/message/{message}"), live="#delivery-live")

    opened = wait_for_event(api, message, "open")
    assert opened["recipients"] == ["user@example.com"]
    assert "HeadlessChrome" in opened["payload"]["open"]["userAgent"]

    frame = desktop.frame_locator("#mail-frame")
    link = frame.locator("a#go")
    expect(link).to_have_attribute("target", "_blank", timeout=WAIT_MS)
    with desktop.expect_popup() as popup_info:
        link.click()
    popup = popup_info.value
    expect(popup.locator("#landed")).to_have_text("Hi", timeout=WAIT_MS)
    assert popup.url == landing and _Landing.hits == ["/verify?token=abc123"]
    popup.close()

    clicked = wait_for_event(api, message, "click")
    assert clicked["payload"]["click"]["link"] == landing
    desktop.click("#tab-delivery")
    titles = desktop.locator("#delivery .timeline .event-title")
    expect(titles).to_have_text(["Sent", "Delivered", "Opened", "Clicked"], timeout=WAIT_MS)
    expect(desktop.locator("#delivery .event.click .event-detail")).to_have_text(landing)
    # One open per page: looking at the HTML again in the same page records nothing more.
    desktop.click("#tab-html")
    desktop.click("#tab-delivery")
    expect(titles).to_have_count(4)
    assert (
        len(api.get("/api/v1/events", params={"message": message, "type": "open"}).json()["events"])
        == 1
    )


# -- the suppression list -------------------------------------------------------------------------


def test_the_suppression_list_adds_removes_and_clears(
    tab: Page, site: Process, api: httpx.Client, mailbox: str
) -> None:
    send(site, make_message(subject="Hard", to="hardbounce@sim.mailyard.test"), mailbox)
    wait_for_event(api, message_id(api, mailbox, "Hard"), "bounce")
    tab.goto(site.at("/suppressions", mailbox=mailbox))
    entries = tab.locator(f'.suppress-group[data-mailbox="{mailbox}"] tbody tr')
    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text("hardbounce@sim.mailyard.test")
    expect(entries.first.locator("a")).to_have_text("this message")

    tab.fill("#suppress-address", "Someone@Example.com")
    tab.select_option("#suppress-reason", "COMPLAINT")
    tab.click(".suppress-add button[type=submit]")
    added = tab.locator('tr[data-address="someone@example.com"]')
    expect(added).to_contain_text("complaint", timeout=WAIT_MS)
    expect(added).to_contain_text("added here")
    expect(tab.locator("#suppress-address")).to_have_value("")
    listed = api.get("/api/v1/suppressions", params={"mailbox": mailbox}).json()["suppressions"]
    assert {s["address"] for s in listed} == {"hardbounce@sim.mailyard.test", "someone@example.com"}

    added.locator("button.remove-suppression").click()
    expect(added).to_have_count(0, timeout=WAIT_MS)
    expect(entries).to_have_count(1)
    tab.locator("button.clear-list").click()  # confirmed by the dialog handler
    expect(tab.locator(".suppressions .empty")).to_contain_text(
        f"No address is suppressed in {mailbox}.", timeout=WAIT_MS
    )
    assert api.get("/api/v1/suppressions", params={"mailbox": mailbox}).json() == {
        "suppressions": []
    }
    assert tab.evaluate("document.documentElement.scrollWidth") <= tab.viewport_size["width"]


def test_the_suppression_list_follows_the_simulator_and_the_api_live(
    desktop: Page, site: Process, api: httpx.Client, mailbox: str
) -> None:
    open_live(desktop, site.at("/suppressions", mailbox=mailbox))
    expect(desktop.locator(".suppressions .empty")).to_be_visible()
    desktop.fill("#suppress-address", "half-typed@exam")  # the form is left as it is

    api.put(
        "/api/v1/suppressions",
        params={"mailbox": mailbox},
        json={"address": "api@example.com", "reason": "COMPLAINT"},
    ).raise_for_status()
    added = desktop.locator('tr[data-address="api@example.com"]')
    expect(added).to_contain_text("added through the API", timeout=WAIT_MS)
    send(site, make_message(subject="Live hard", to="hardbounce@sim.mailyard.test"), mailbox)
    bounced = desktop.locator('tr[data-address="hardbounce@sim.mailyard.test"]')
    expect(bounced).to_contain_text("a hard bounce of", timeout=WAIT_MS)
    expect(desktop.locator("#suppression-count")).to_have_text(
        f"2 addresses suppressed in {mailbox}"
    )
    expect(desktop.locator("#suppress-address")).to_have_value("half-typed@exam")

    api.delete("/api/v1/suppressions", params={"mailbox": mailbox}).raise_for_status()
    expect(desktop.locator(".suppressions .empty")).to_be_visible(timeout=WAIT_MS)


# -- webhooks -----------------------------------------------------------------------------------


class _Receiver(BaseHTTPRequestHandler):
    answer: ClassVar[list[int]] = [503]

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self.send_response(self.answer[0])
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"received": %d}' % self.answer[0])

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def failing_endpoint(api: httpx.Client, mailbox: str) -> Iterator[tuple[str, str]]:
    """A Resend-format endpoint for `mailbox`'s bounces whose receiver answers 503 (until a
    test sets `_Receiver.answer`): its URL and id; unregistered and stopped afterwards."""
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    _Receiver.answer = [503]
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hooks"
    endpoint = api.post(
        "/api/v1/webhooks",
        json={"url": url, "format": "resend", "mailbox": mailbox, "events": ["email.bounced"]},
    ).json()
    try:
        yield url, str(endpoint["id"])
    finally:
        api.delete(f"/api/v1/webhooks/{endpoint['id']}")
        receiver.shutdown()
        receiver.server_close()


def test_a_failed_webhook_delivery_is_delivered_again_from_its_page(
    desktop: Page, site: Process, api: httpx.Client, mailbox: str
) -> None:
    with failing_endpoint(api, mailbox) as (url, endpoint):
        send(site, make_message(subject="Bounces", to="bounce@simulator.amazonses.com"), mailbox)
        desktop.goto(site.at("/webhooks"))
        # Until the first attempt is in (the page lists what is stored when it loads).
        desktop.wait_for_function(
            """async (url) => {
              const body = await (await fetch(url)).json();
              return body.deliveries.some((d) => d.attempts.length > 0);
            }""",
            arg=f"/api/v1/webhooks/{endpoint}/deliveries",
            timeout=WAIT_MS,
            polling=100,
        )
        desktop.reload()
        section = desktop.locator(f"#webhook-{endpoint}")
        expect(section.locator(".webhook-url")).to_have_text(url)
        expect(section).to_contain_text("email.bounced")
        delivery = section.locator("tr.delivery-row")
        expect(delivery).to_have_count(1, timeout=WAIT_MS)
        expect(delivery).to_contain_text("email.bounced")  # the event as Resend names it
        expect(delivery.locator(".attempt .code").first).to_have_text("503", timeout=WAIT_MS)
        expect(delivery.locator(".snippet").first).to_contain_text('{"received": 503}')

        _Receiver.answer = [200]
        delivery.locator("button.redeliver").click()
        # The section asks again while the redelivery is due, until its attempt is in.
        expect(delivery.locator(".attempt .code").last).to_have_text("200", timeout=WAIT_MS)
        expect(delivery.locator(".delivery-status")).to_have_text("succeeded")
        expect(delivery.locator(".attempt .code").first).to_have_text("503")


def test_the_webhooks_page_tells_the_next_attempt_in_the_readers_zone(
    browser: Any, site: Process, api: httpx.Client, mailbox: str
) -> None:
    tab, errors = new_tab(browser, DESKTOP, timezone_id="Asia/Kolkata")  # UTC+05:30
    with failing_endpoint(api, mailbox) as (_, endpoint), tab.context:
        send(site, make_message(subject="Zone", to="bounce@simulator.amazonses.com"), mailbox)
        tab.goto(site.at("/webhooks"))
        # Until the first attempt has failed and its retry is due.
        tab.wait_for_function(
            """async (url) => {
              const body = await (await fetch(url)).json();
              return body.deliveries.some((d) => d.attempts.length > 0 && d.status === "pending");
            }""",
            arg=f"/api/v1/webhooks/{endpoint}/deliveries",
            timeout=WAIT_MS,
            polling=100,
        )
        tab.reload()
        when = tab.locator(f"#webhook-{endpoint} time.clock").first
        expect(when).not_to_contain_text("UTC", timeout=WAIT_MS)
        at = datetime.fromisoformat(str(when.get_attribute("datetime")).replace("Z", "+00:00"))
        local = at.astimezone(timezone(timedelta(hours=5, minutes=30)))
        expect(when).to_have_text(local.strftime("%H:%M:%S"))
    assert errors == []


# -- the strict policy, and how it looks ----------------------------------------------------------


def test_the_simulator_pages_keep_the_strict_policy(
    desktop: Page, site: Process, api: httpx.Client, mailbox: str
) -> None:
    violations = policy_violations(desktop)
    send(site, make_message(subject="Policy", to="complaint@simulator.amazonses.com"), mailbox)
    message = message_id(api, mailbox, "Policy")
    for path in ("/suppressions", "/webhooks", f"/message/{message}#delivery"):
        desktop.goto(site.at(path))
        desktop.wait_for_load_state("load")
    expect(desktop.locator("#delivery .event-title").last).to_have_text(
        "Complaint", timeout=WAIT_MS
    )
    desktop.locator("#delivery details.payload").last.locator("summary").click()
    assert violations == []


def test_screenshots_light_and_dark(
    browser: Any, site: Process, api: httpx.Client, mailbox: str, tmp_path: Path
) -> None:
    for subject, to in (
        ("Welcome aboard", "jane@example.com"),
        ("Password reset", "bounce@simulator.amazonses.com"),
        ("Weekly digest", "complained@resend.dev"),
        ("Invoice", "delay-1d@sim.mailyard.test"),
    ):
        send(site, make_message(subject=subject, to=to, html=f"<h1>{subject}</h1>"), mailbox)
    message = message_id(api, mailbox, "Password reset")
    shots = []
    for scheme in ("light", "dark"):
        for size in (DESKTOP, PHONE):
            page, errors = new_tab(browser, size, color_scheme=scheme)
            for name, path in (
                ("inbox", site.at(mailbox=mailbox)),
                ("delivery", site.at(f"/message/{message}") + "#delivery"),
                ("suppressions", site.at("/suppressions")),
                ("webhooks", site.at("/webhooks")),
            ):
                page.goto(path)
                if name == "delivery":
                    expect(page.locator("#delivery")).to_be_visible(timeout=WAIT_MS)
                shots.append(tmp_path / f"{name}-{scheme}-{size['width']}.png")
                page.screenshot(path=str(shots[-1]))
            page.context.close()
            assert errors == []
    assert all(p.stat().st_size > 10_000 for p in shots)
