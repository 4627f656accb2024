"""The simulator in the inbox, in process: each row's delivery mark, a message's Delivery tab,
opens and clicks recorded from the inbox (and only from it), the suppression list page and the
webhooks page — mail sent over SMTP to the providers' test addresses and our scenarios."""

from __future__ import annotations

import html
import json
import re
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from support.mail import make_message, messages, send
from support.servers import start_inprocess

from mailyard.sandbox import EventsOccurred, Kind, StoredEvent
from mailyard.web.testing.inprocess import InProcessServer
from mailyard.web.ui.delivery_news import MAX_IDS, news
from mailyard.web.ui.marks import mark

HTML = (
    '<h1>Welcome</h1><p><a class="btn" href="https://app.example/verify?t=1&amp;u=2">Verify</a>'
    ' <a href="mailto:help@example.com">help</a></p>'
)


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    srv = start_inprocess(tmp_path_factory.mktemp("sim-ui"), "--clock-control")
    yield srv
    srv.stop()


@pytest.fixture
def client(sim: InProcessServer) -> Iterator[httpx.Client]:
    with sim.api() as api:
        yield api


def settle(sim: InProcessServer) -> None:
    """Wait until the simulator has decided what was stored and the webhooks have been tried."""
    assert sim.services is not None
    sim.call(sim.services.simulator.idle)
    sim.call(sim.services.dispatcher.idle)


def sent(sim: InProcessServer, api: httpx.Client, mailbox: str, to: str, **fields: str) -> str:
    subject = f"to {to} {uuid.uuid4().hex[:6]}"
    send(sim, make_message(subject=subject, to=to, **fields), mailbox)
    settle(sim)
    (found,) = [m for m in messages(api, mailbox) if m["Subject"] == subject]
    return str(found["ID"])


def csrf(api: httpx.Client) -> dict[str, str]:
    match = re.search(r'"X-CSRF-Token": "([0-9a-f]+)"', api.get("/").text)
    assert match
    return {"X-CSRF-Token": match.group(1)}


def row_marks(api: httpx.Client, mailbox: str, **params: str) -> dict[str, tuple[str, str]]:
    """message ID -> (state, label) of each row's mark."""
    page = api.get("/ui/results", params={"mailbox": mailbox, **params}).text
    found = {}
    for row in re.findall(r'<tr class="row[^"]*" data-id="([^"]+)".*?</tr>', page, re.S):
        found[row] = ("", "")
    for ident, body in re.findall(r'<tr class="row[^"]*" data-id="([^"]+)"(.*?)</tr>', page, re.S):
        hit = re.search(
            r'<span class="mark ([\w-]+)" title="[^"]*">((?:<span[^>]*>[^<]*</span>)+|[^<]*)</span>',
            body,
        )
        if hit:  # what a screen reader says: a delivered mark is a ✓ with hidden words
            spoken = re.search(r'class="visually-hidden">([^<]*)<', hit.group(2))
            label = spoken.group(1) if spoken else hit.group(2)
            found[ident] = (hit.group(1), html.unescape(label))
    return found


def events_of(api: httpx.Client, message: str, kind: str) -> list[dict[str, Any]]:
    answer = api.get("/api/v1/events", params={"message": message, "type": kind})
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["events"]
    return found


def text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


# -- the list: a mark per row, one lookup per page ---------------------------------------------


def test_each_row_shows_where_its_message_stands(
    sim: InProcessServer, client: httpx.Client, mailbox: str
) -> None:
    expected = {
        "jane@example.com": ("delivered", "delivered"),
        "bounce@simulator.amazonses.com": ("bounced", "bounced"),
        "complained@resend.dev": ("complained", "complained"),
        "delay-1h+row@sim.mailyard.test": ("delayed", "delayed"),
        "reject@sim.mailyard.test": ("rejected", "rejected"),
        "suppressed@resend.dev": ("suppressed", "suppressed"),
        "ok@example.com, bounce+two@simulator.amazonses.com": ("bounced", "bounced 1/2"),
    }
    ids = {to: sent(sim, client, mailbox, to) for to in expected}
    marks = row_marks(client, mailbox)
    assert {to: marks[ids[to]] for to in expected} == expected
    page = client.get("/ui/results", params={"mailbox": mailbox}).text
    assert 'title="ok@example.com: delivered; bounce+two@simulator.amazonses.com: bounced"' in page
    # The first paint and "Older messages" carry the same marks.
    assert 'class="mark bounced"' in client.get("/", params={"mailbox": mailbox}).text
    older = client.get("/ui/rows", params={"mailbox": mailbox, "before": "999999999"}).text
    assert older.count('class="mark ') == len(expected)


def test_a_mark_says_the_worst_state_and_how_many_are_in_it() -> None:
    assert mark([]) is None
    only = mark([("a@x.test", Kind.SEND)])
    assert only is not None and (only.state, only.label) == ("pending", "pending")
    mixed = mark(
        [("a@x", Kind.DELIVERY), ("b@x", Kind.DELIVERY_DELAY), ("c@x", Kind.DELIVERY_DELAY)]
    )
    assert mixed is not None and (mixed.state, mixed.label) == ("delayed", "delayed 2/3")
    many = mark([(f"r{i}@x", Kind.DELIVERY) for i in range(12)])
    assert many is not None and many.title.endswith("; and 2 more")


def test_a_soft_bounce_reads_apart_from_a_permanent_one(
    sim: InProcessServer, client: httpx.Client, mailbox: str
) -> None:
    expected = {
        "softbounce-mailboxfull@sim.mailyard.test": ("soft-bounced", "soft bounce"),
        "hardbounce@sim.mailyard.test": ("bounced", "bounced"),
        "ok@example.com, softbounce+two@sim.mailyard.test": ("soft-bounced", "soft bounce 1/2"),
        # a permanent bounce needs more of a look than a soft one
        "softbounce+three@sim.mailyard.test, hardbounce+three@sim.mailyard.test": (
            "bounced",
            "bounced 1/2",
        ),
    }
    ids = {to: sent(sim, client, mailbox, to) for to in expected}
    marks = row_marks(client, mailbox)
    assert {to: marks[ids[to]] for to in expected} == expected
    tab = client.get(f"/ui/message/{ids['softbounce-mailboxfull@sim.mailyard.test']}/delivery")
    assert '<span class="mark soft-bounced">soft bounce</span>' in tab.text
    assert 'data-state="soft-bounced" data-label="soft bounce"' in tab.text
    both = client.get(f"/ui/message/{ids[list(expected)[3]]}/delivery").text
    assert both.count('<span class="mark soft-bounced">soft bounce</span>') == 1
    assert both.count('<span class="mark bounced">bounced</span>') == 1
    soft = mark([("a@x", Kind.BOUNCE), ("b@x", Kind.DELIVERY)], {"a@x"})
    assert soft is not None and soft.title == "a@x: soft bounce; b@x: delivered"


def test_the_marks_of_a_page_cost_one_lookup_whatever_its_length(
    sim: InProcessServer, client: httpx.Client, mailbox: str
) -> None:
    for i in range(30):
        send(sim, make_message(subject=f"bulk {i}", to=f"user{i}@example.com"), mailbox)
    settle(sim)
    assert sim.services is not None
    reader = sim.services.store.reader()
    counts = []
    seen: list[str] = []

    async def trace() -> None:
        reader.set_trace_callback(seen.append)

    async def untrace() -> None:
        reader.set_trace_callback(None)

    for limit in ("3", "30"):
        seen.clear()
        sim.call(trace)
        try:
            marks = row_marks(client, mailbox, limit=limit)
        finally:
            sim.call(untrace)
        assert len(marks) == int(limit) and {m for m in marks.values()} == {
            ("delivered", "delivered")
        }
        counts.append(sum(1 for s in seen if "deliveries" in s or "FROM events" in s))
    assert counts == [1, 1]


# -- one message's Delivery tab ------------------------------------------------------------------


def test_the_delivery_tab_tells_each_recipient_and_each_event(
    sim: InProcessServer, client: httpx.Client, mailbox: str
) -> None:
    to = "jane@example.com, bounce+tab@simulator.amazonses.com, ooto+tab@simulator.amazonses.com"
    message = sent(sim, client, mailbox, to, html=HTML)
    page = client.get(f"/message/{message}").text
    assert 'id="tab-delivery"' in page and f'data-url="/ui/message/{message}/delivery"' in page
    assert f"/view/{message}.html?scheme=light&amp;clicks=1" in page
    assert '<script src="/static/delivery.js" defer></script>' in page

    tab = client.get(f"/ui/message/{message}/delivery")
    assert tab.status_code == 200
    body = tab.text
    # SES's ooto is a Transient bounce: a soft one, told apart from the permanent bounce
    assert 'data-state="bounced"' in body and 'data-label="bounced 1/3"' in body
    recipients = re.findall(
        r'<th scope="row" class="mono">([^<]+)</th>\s*<td[^>]*><span class="mark ([\w-]+)"', body
    )
    assert recipients == [
        ("jane@example.com", "delivered"),
        ("bounce+tab@simulator.amazonses.com", "bounced"),
        ("ooto+tab@simulator.amazonses.com", "soft-bounced"),
    ]
    titles = re.findall(r'<span class="event-title">([^<]+)</span>', body)
    assert titles == ["Sent", "Delivered", "Bounced", "Bounced"]
    words = text(body)
    assert "Permanent/General, status 5.1.1 smtp; 550 5.1.1 user unknown" in words
    assert "Transient/General" in words  # ooto: a transient bounce, no DSN fields
    assert '"eventType": "Bounce"' in html.unescape(body)

    resend = html.unescape(client.get(f"/ui/message/{message}/delivery?format=resend").text)
    assert '"type": "email.bounced"' in resend and '"type": "email.sent"' in resend
    feedback = client.get(f"/ui/message/{message}/delivery?format=ses-feedback").text
    assert '"notificationType": "Bounce"' in html.unescape(feedback)
    assert "feedback notifications are only Bounce, Complaint and Delivery" in feedback
    bad = client.get(f"/ui/message/{message}/delivery?format=smoke-signals")
    assert bad.status_code == 400
    assert client.get("/ui/message/nope/delivery").status_code == 404


def test_a_delay_is_scheduled_until_the_clock_moves(
    sim: InProcessServer, client: httpx.Client, mailbox: str
) -> None:
    message = sent(sim, client, mailbox, "delay-1h+tab@sim.mailyard.test")
    before = client.get(f"/ui/message/{message}/delivery").text
    scheduled = before.split('aria-label="Scheduled events')[1]
    assert "Delivered" in scheduled and re.search(r"\(in (59 min|1 h)\)", scheduled)
    seconds = re.search(r'class="advance" data-seconds="([0-9.]+)"', scheduled)
    assert seconds and 3500 < float(seconds.group(1)) <= 3600
    assert row_marks(client, mailbox)[message] == ("delayed", "delayed")

    moved = client.post("/api/v1/clock/advance", json={"seconds": float(seconds.group(1))})
    assert moved.status_code == 200
    after = client.get(f"/ui/message/{message}/delivery").text
    assert "Scheduled events" not in after and 'data-state="delivered"' in after
    titles = re.findall(r'<span class="event-title">([^<]+)</span>', after)
    assert titles == ["Sent", "Delayed", "Delivered"]
    assert row_marks(client, mailbox)[message] == ("delivered", "delivered")


# -- opens and clicks from the inbox ----------------------------------------------------------


def test_viewing_the_html_records_one_open_for_the_recipients_it_reached(
    sim: InProcessServer, client: httpx.Client, mailbox: str
) -> None:
    message = sent(
        sim, client, mailbox, "jane@example.com, bounce+o@simulator.amazonses.com", html=HTML
    )
    token = csrf(client)
    opened = client.post(f"/ui/message/{message}/open", headers=token)
    assert opened.status_code == 204
    (event,) = events_of(client, message, "open")
    assert event["recipients"] == ["jane@example.com"]  # the bounced one never saw it
    assert event["payload"]["eventType"] == "Open"
    assert event["payload"]["open"]["userAgent"].startswith("python-httpx")

    refused = [
        client.post(f"/ui/message/{message}/open"),  # no form token
        client.post(
            f"/ui/message/{message}/open",
            headers={**token, "Origin": "https://elsewhere.example"},
        ),
    ]
    assert [r.status_code for r in refused] == [403, 403]
    prefetched = client.post(
        f"/ui/message/{message}/open", headers={**token, "Sec-Purpose": "prefetch;prerender"}
    )
    assert prefetched.status_code == 204
    assert len(events_of(client, message, "open")) == 1
    # An open is no outcome: the row still says what became of the mail.
    assert row_marks(client, mailbox)[message] == ("bounced", "bounced 1/2")

    bounced = sent(sim, client, mailbox, "bounce+only@simulator.amazonses.com", html=HTML)
    assert client.post(f"/ui/message/{bounced}/open", headers=token).status_code == 204
    assert events_of(client, bounced, "open") == []


def test_links_in_the_inbox_view_go_through_a_click_redirect(
    sim: InProcessServer, client: httpx.Client, mailbox: str
) -> None:
    message = sent(sim, client, mailbox, "jane@example.com", html=HTML)
    plain = client.get(f"/view/{message}.html").text
    assert HTML in plain and "/click?" not in plain  # API clients get the email as it is
    tracked = client.get(f"/view/{message}.html", params={"clicks": "1"}).text
    found = re.search(
        r'<a href="(/view/[^"]+/click\?[^"]+)" target="_blank" rel="noopener noreferrer" class="btn"',
        tracked,
    )
    assert found, tracked
    assert 'href="mailto:help@example.com"' in tracked  # only web links are counted
    click_url = html.unescape(found.group(1))

    # From the view's sandbox the browser calls it cross-site: the token stands for the origin.
    went = client.get(click_url, headers={"Sec-Fetch-Site": "cross-site"}, follow_redirects=False)
    assert went.status_code == 303
    assert went.headers["location"] == "https://app.example/verify?t=1&u=2"
    assert went.headers["referrer-policy"] == "no-referrer"
    (event,) = events_of(client, message, "click")
    assert event["recipients"] == ["jane@example.com"]
    assert event["payload"]["click"]["link"] == "https://app.example/verify?t=1&u=2"

    forged = re.sub(r"t=[0-9a-f]+", "t=" + "0" * 32, click_url)
    elsewhere = f"/view/{message}/click?u=https%3A%2F%2Fevil.example%2F&t=0"
    answers = [
        client.get(forged, follow_redirects=False),
        client.head(click_url, follow_redirects=False),
        client.get(click_url, headers={"Sec-Purpose": "prefetch"}, follow_redirects=False),
        client.get(elsewhere, follow_redirects=False),
    ]
    assert [a.status_code for a in answers] == [303, 303, 303, 404]
    assert "location" not in answers[3].headers  # never an open redirect
    assert len(events_of(client, message, "click")) == 1  # none of those counted
    assert row_marks(client, mailbox)[message] == ("delivered", "delivered")


def test_without_the_simulator_or_engagement_the_inbox_records_nothing(tmp_path: Path) -> None:
    server = start_inprocess(tmp_path, "--no-simulator", "--no-inbox-engagement")
    try:
        with server.api() as api:
            send(server, make_message(subject="quiet", html=HTML))
            (message,) = [str(m["ID"]) for m in messages(api, "default")]
            assert row_marks(api, "default") == {message: ("", "")}
            tab = api.get(f"/ui/message/{message}/delivery").text
            assert "--no-simulator" in tab
            assert api.post(f"/ui/message/{message}/open", headers=csrf(api)).status_code == 204
            view = api.get(f"/view/{message}.html", params={"clicks": "1"}).text
            assert HTML in view and "/click?" not in view
            assert api.get("/api/v1/events").json()["events"] == []
    finally:
        server.stop()


# -- the live stream's news ---------------------------------------------------------------------


def _event(ident: int, message: str, mailbox: str) -> StoredEvent:
    return StoredEvent(ident, ident, message, mailbox, Kind.DELIVERY, None, ("a@x",), 0.0, True)


def test_the_stream_names_the_messages_of_its_mailbox_with_news() -> None:
    told = [
        EventsOccurred((_event(1, "m1", "a"), _event(2, "m2", "b"), _event(3, "m1", "a"))),
        EventsOccurred((_event(4, "m3", "a"),)),
    ]
    assert news(told, "a") == b'event: deliveries\ndata: {"ids": ["m1", "m3"], "more": false}\n\n'
    assert b'"ids": ["m1", "m2", "m3"]' in (news(told, None) or b"")
    assert news(told, "c") is None
    assert news([], "a", dropped=True) == b'event: deliveries\ndata: {"ids": [], "more": true}\n\n'
    burst = [EventsOccurred(tuple(_event(i, f"m{i}", "a") for i in range(MAX_IDS * 3)))]
    said = json.loads((news(burst, "a") or b"").decode().split("data: ")[1])
    assert said["more"] is True and said["ids"] == [f"m{i}" for i in range(MAX_IDS)]


# -- the suppression list ----------------------------------------------------------------------


def test_the_suppression_list_page_adds_removes_and_clears(
    sim: InProcessServer, client: httpx.Client, mailbox: str
) -> None:
    bounced = sent(sim, client, mailbox, "hardbounce+page@sim.mailyard.test")
    page = client.get("/suppressions", params={"mailbox": mailbox})
    assert page.status_code == 200 and 'aria-current="page">Suppression list' in page.text
    listed = text(page.text)
    assert "hardbounce+page@sim.mailyard.test bounce" in listed
    assert f'href="/message/{bounced}"' in page.text and "a hard bounce of" in listed

    token = csrf(client)
    form = {"mailbox": mailbox, "shown": mailbox}
    added = client.post(
        "/ui/suppressions",
        data={**form, "address": " Someone@Example.com ", "reason": "COMPLAINT"},
        headers=token,
    )
    assert added.status_code == 200 and added.text.startswith("<section")
    assert "someone@example.com complaint" in text(added.text) and "added here" in added.text
    api_view = client.get("/api/v1/suppressions", params={"mailbox": mailbox}).json()
    assert {(s["address"], s["reason"], s["origin"]) for s in api_view["suppressions"]} == {
        ("hardbounce+page@sim.mailyard.test", "BOUNCE", "simulator"),
        ("someone@example.com", "COMPLAINT", "manual"),
    }

    wrong = client.post("/ui/suppressions", data={**form, "address": "nobody"}, headers=token)
    assert wrong.status_code == 400 and "address must be an email address" in wrong.text
    assert client.post("/ui/suppressions", data={**form, "address": "x@y.test"}).status_code == 403

    removed = client.post(
        "/ui/suppressions/remove", data={**form, "address": "someone@example.com"}, headers=token
    )
    assert 'data-address="someone@example.com"' not in removed.text
    assert 'data-address="hardbounce+page@sim.mailyard.test"' in removed.text
    cleared = client.post("/ui/suppressions/clear", data=form, headers=token)
    assert f"No address is suppressed in {mailbox}." in text(cleared.text)
    assert client.get("/api/v1/suppressions", params={"mailbox": mailbox}).json() == {
        "suppressions": []
    }


# -- webhooks ----------------------------------------------------------------------------------


class _Receiver(BaseHTTPRequestHandler):
    answer: ClassVar[list[int]] = [503]  # the status every POST gets, until a test changes it

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self.send_response(self.answer[0])
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"receiver says %d" % self.answer[0])

    def log_message(self, *args: object) -> None:
        pass


def test_the_webhooks_page_shows_every_attempt_and_redelivers(
    sim: InProcessServer, client: httpx.Client, mailbox: str
) -> None:
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hooks"
    _Receiver.answer = [503]
    endpoint = client.post(
        "/api/v1/webhooks",
        json={"url": url, "format": "resend", "mailbox": mailbox, "events": ["email.delivered"]},
    ).json()
    try:
        message = sent(sim, client, mailbox, "jane@example.com")
        page = client.get("/webhooks")
        assert page.status_code == 200 and 'aria-current="page">Webhooks' in page.text
        section = page.text.split(f'id="webhook-{endpoint["id"]}"')[1].split("</section>")[0]
        assert url in section and "Resend (Svix-signed)" in section
        assert "Copy the signing secret" in section and "email.delivered" in section
        (row,) = re.findall(r'<tr class="delivery-row (\w+)" data-delivery="(\d+)">', section)
        assert row[0] in ("pending", "failed")
        assert f'href="/message/{message}#delivery">the message to jane@example.com</a>' in section
        # The event as the receiver knows it (Resend's name), not SES's "Delivery".
        assert re.search(r"#\d+ · email\.delivered", text(section))
        assert "503" in section and "receiver says 503" in section
        assert "Failing: the receiver's last answer was HTTP 503" in text(section)  # at the top

        _Receiver.answer = [200]
        again = client.post(f"/ui/webhooks/deliveries/{row[1]}/redeliver", headers=csrf(client))
        assert again.status_code == 200 and again.text.startswith("<section")
        settle(sim)
        after = client.get(f"/ui/webhooks/{endpoint['id']}").text
        assert f'<tr class="delivery-row succeeded" data-delivery="{row[1]}">' in after
        codes = re.findall(r'<span class="code">(\d+)</span>', after)
        assert codes[-1] == "200" and "503" in codes and "receiver says 200" in after
        assert "Failing:" not in after
        assert 'hx-trigger="every 1s"' not in after  # nothing due: the page stops asking
        (listed,) = client.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries").json()["deliveries"]
        assert listed["status"] == "succeeded" and listed["nextAttempt"] is None
        assert (
            client.post(
                "/ui/webhooks/deliveries/999999/redeliver", headers=csrf(client)
            ).status_code
            == 404
        )
    finally:
        client.delete(f"/api/v1/webhooks/{endpoint['id']}")
        receiver.shutdown()
        receiver.server_close()


def test_an_sns_endpoints_subscription_confirmation_is_named_as_such(
    sim: InProcessServer, client: httpx.Client, mailbox: str
) -> None:
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    _Receiver.answer = [503]
    url = f"http://127.0.0.1:{receiver.server_address[1]}/sns"
    endpoint = client.post(
        "/api/v1/webhooks", json={"url": url, "format": "sns", "mailbox": mailbox}
    ).json()
    try:
        settle(sim)
        section = client.get(f"/ui/webhooks/{endpoint['id']}").text
        assert "not confirmed yet" in section
        (first,) = re.findall(r'data-delivery="\d+">\s*<th scope="row">([^<]*)', section)
        assert first.split(" · ")[1].strip() == "SubscriptionConfirmation"
        assert "since deleted" not in section
    finally:
        client.delete(f"/api/v1/webhooks/{endpoint['id']}")
        receiver.shutdown()
        receiver.server_close()
