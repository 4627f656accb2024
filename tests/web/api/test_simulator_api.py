"""The simulator over HTTP: timelines, the events feed, suppression, rules, faults, chaos and
the clock — through the in-process app, mail sent over SMTP."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.mail import make_message, messages, send
from support.servers import start_inprocess

from mailyard.sandbox import SMTPErrorReply
from mailyard.web.testing.inprocess import InProcessServer


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    srv = start_inprocess(tmp_path_factory.mktemp("sim"), "--clock-control", "--enable-chaos")
    yield srv
    srv.stop()


@pytest.fixture
def client(sim: InProcessServer) -> Iterator[httpx.Client]:
    with sim.api() as api:
        yield api


def _sent(sim: InProcessServer, api: httpx.Client, mailbox: str, to: str) -> str:
    subject = f"to {to} {uuid.uuid4().hex[:8]}"
    send(sim, make_message(subject=subject, to=to), mailbox)
    (found,) = [m for m in messages(api, mailbox) if m["Subject"] == subject]
    return str(found["ID"])


def _timeline(api: httpx.Client, message: str, **params: str) -> dict[str, object]:
    response = api.get(f"/api/v1/message/{message}/events", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_an_ses_simulator_bounce_has_sess_own_payload(
    sim: InProcessServer, client: httpx.Client, mailbox: str
) -> None:
    message = _sent(sim, client, mailbox, "bounce@simulator.amazonses.com")
    timeline = _timeline(client, message)
    (recipient,) = timeline["recipients"]  # type: ignore[misc]
    assert (recipient["outcome"], recipient["decidedBy"]) == ("bounce", "ses-simulator")
    assert recipient["lastEvent"] == "bounce"
    send_event, bounce = timeline["events"]  # type: ignore[misc]
    assert send_event["payload"]["eventType"] == "Send"
    detail = bounce["payload"]["bounce"]
    assert (detail["bounceType"], detail["bounceSubType"]) == ("Permanent", "General")
    assert detail["bouncedRecipients"][0]["diagnosticCode"] == "smtp; 550 5.1.1 user unknown"
    assert bounce["payload"]["mail"]["messageId"] == bounce["providerMessageId"]
    as_resend = _timeline(client, message, format="resend")["events"][1]  # type: ignore[index]
    assert as_resend["payload"]["type"] == "email.bounced"


def test_the_feed_filters_by_type_recipient_and_cursor(
    sim: InProcessServer, client: httpx.Client, mailbox: str
) -> None:
    start = client.get("/api/v1/events", params={"mailbox": mailbox}).json()["cursor"]
    _sent(sim, client, mailbox, "complaint+feed@simulator.amazonses.com")
    feed = client.get(
        "/api/v1/events", params={"mailbox": mailbox, "after": start, "type": "Complaint"}
    ).json()
    (event,) = feed["events"]
    assert event["kind"] == "complaint" and event["recipients"] == [
        "complaint+feed@simulator.amazonses.com"
    ]
    assert event["payload"]["complaint"]["complaintFeedbackType"] == "abuse"
    later = client.get("/api/v1/events", params={"mailbox": mailbox, "after": feed["cursor"]})
    assert later.json()["events"] == []
    bad = client.get("/api/v1/events", params={"type": "Sneeze"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "type"


def test_a_delayed_delivery_is_released_by_moving_the_clock_while_a_poll_waits(
    sim: InProcessServer, client: httpx.Client, mailbox: str
) -> None:
    message = _sent(sim, client, mailbox, "delay-1h@sim.mailyard.test")
    assert [e["kind"] for e in _timeline(client, message)["events"]] == [  # type: ignore[union-attr]
        "send",
        "delivery_delay",
    ]
    cursor = client.get("/api/v1/events", params={"message": message}).json()["cursor"]
    answer: dict[str, object] = {}

    def poll() -> None:
        with sim.api() as api:
            answer.update(
                api.get(
                    "/api/v1/events",
                    params={"message": message, "after": cursor, "wait": 30},
                ).json()
            )

    waiter = threading.Thread(target=poll)
    waiter.start()
    moved = client.post("/api/v1/clock/advance", json={"seconds": 3600})
    waiter.join(20)
    assert moved.status_code == 200 and moved.json()["offset"] >= 3600
    assert [e["kind"] for e in answer["events"]] == ["delivery"]  # type: ignore[union-attr]


def test_hard_bounces_feed_the_suppression_list_and_it_can_be_edited(
    sim: InProcessServer, client: httpx.Client, mailbox: str
) -> None:
    _sent(sim, client, mailbox, "hardbounce@sim.mailyard.test")
    listed = client.get("/api/v1/suppressions", params={"mailbox": mailbox}).json()
    assert [(s["address"], s["reason"]) for s in listed["suppressions"]] == [
        ("hardbounce@sim.mailyard.test", "BOUNCE")
    ]
    again = _sent(sim, client, mailbox, "hardbounce@sim.mailyard.test")
    assert _timeline(client, again)["recipients"][0]["outcome"] == "suppressed"  # type: ignore[index]
    added = client.put(
        "/api/v1/suppressions",
        params={"mailbox": mailbox},
        json={"address": "Someone@Example.com", "reason": "COMPLAINT"},
    )
    assert added.status_code == 200 and added.json()["address"] == "someone@example.com"
    removed = client.delete(
        "/api/v1/suppressions", params={"mailbox": mailbox, "address": "someone@example.com"}
    )
    assert removed.json() == {"removed": 1}
    cleared = client.delete("/api/v1/suppressions", params={"mailbox": mailbox})
    assert cleared.json() == {"removed": 1}


def test_rules_per_mailbox(sim: InProcessServer, client: httpx.Client, mailbox: str) -> None:
    put = client.put(
        "/api/v1/simulator/rules",
        params={"mailbox": mailbox},
        json={"rules": [{"match": "*@angry.example", "outcome": "complaint"}]},
    )
    assert put.status_code == 200, put.text
    message = _sent(sim, client, mailbox, "reader@angry.example")
    kinds = [e["kind"] for e in _timeline(client, message)["events"]]  # type: ignore[union-attr]
    assert kinds == ["send", "delivery", "complaint"]
    wrong = client.put(
        "/api/v1/simulator/rules", params={"mailbox": mailbox}, json={"rules": [{"x": 1}]}
    )
    assert wrong.status_code == 400 and wrong.json()["error"]["field"].startswith("rules[0]")


def test_opens_and_clicks_are_recorded_on_request(
    sim: InProcessServer, client: httpx.Client, mailbox: str
) -> None:
    message = _sent(sim, client, mailbox, "reader@example.com")
    click = client.post(
        f"/api/v1/message/{message}/events",
        json={"type": "click", "link": "https://app.example/verify?token=x"},
    )
    assert click.status_code == 200, click.text
    assert click.json()["payload"]["click"]["link"] == "https://app.example/verify?token=x"
    stranger = client.post(
        f"/api/v1/message/{message}/events", json={"type": "open", "recipient": "x@y.z"}
    )
    assert stranger.status_code == 400


def test_mailpits_chaos_api_drives_the_sink(sim: InProcessServer, client: httpx.Client) -> None:
    assert client.get("/api/v1/chaos").json()["Sender"] == {"ErrorCode": 451, "Probability": 0}
    assert client.get("/api/v1/webui").json()["ChaosEnabled"] is True
    bad = client.put("/api/v1/chaos", json={"Sender": {"ErrorCode": 200, "Probability": 5}})
    assert bad.status_code == 400 and bad.text.strip() == "error code must be between 400 and 599"
    assert bad.headers["content-type"].startswith("text/plain")
    on = client.put("/api/v1/chaos", json={"Recipient": {"ErrorCode": 550, "Probability": 100}})
    assert on.json()["Recipient"] == {"ErrorCode": 550, "Probability": 100}
    import smtplib

    assert sim.services is not None
    seen: list[SMTPErrorReply] = []
    unlisten = sim.services.bus.listen(seen.append, SMTPErrorReply)
    try:
        with smtplib.SMTP("127.0.0.1", sim.smtp_port, timeout=10) as smtp:
            smtp.ehlo()
            smtp.mail("a@example.com")
            code, text = smtp.rcpt("b@example.com")
    finally:
        unlisten()
        client.put("/api/v1/chaos", json={})
    assert (code, text) == (550, b"Chaos recipient error")
    # The reply is published before it is written: Mailpit's `error` event on /api/events.
    assert [(e.reply, e.code) for e in seen] == [("550 Chaos recipient error", 550)]
    assert seen[0].client_addr == "127.0.0.1"


def test_the_clock_moves_only_with_clock_control(tmp_path: Path) -> None:
    srv = start_inprocess(tmp_path)
    try:
        with srv.api() as api:
            refused = api.post("/api/v1/clock/advance", json={"seconds": 60})
            chaos = api.get("/api/v1/chaos")
    finally:
        srv.stop()
    assert refused.status_code == 409 and "--clock-control" in refused.json()["error"]["message"]
    assert chaos.status_code == 400 and chaos.text == "Chaos is not enabled"
