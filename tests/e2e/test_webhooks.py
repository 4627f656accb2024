"""Webhooks end to end: the real `mailyard serve` process, mail sent over SMTP, events delivered
over HTTP to receivers on 127.0.0.1 and verified the way apps verify them — Resend's with the
official `svix` library, SES-via-SNS ones with the PyPI `aws-sns-message-validator` after the
receiver confirmed its subscription by visiting the SubscribeURL.

Time is moved through the API (`--clock-control`), never waited for: delays are released and
retries made by `POST /api/v1/clock/advance`; a hanging endpoint is shown harmless by what has
happened while it hangs, not by how long anything took.
"""

from __future__ import annotations

import json
import re
import smtplib
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import svix
from sns_message_validator import SNSMessageValidator
from support.mail import make_message, messages, send
from support.receivers import Received, Receiver, wait_for
from support.servers import Process, start_process


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:  # type: ignore[override]
    srv = start_process(
        tmp_path_factory.mktemp("webhooks"),
        "--clock-control",
        "--webhook-timeout",
        "120",  # a hanging endpoint outlasts every test
        "--webhook-limit",
        "0",  # Mailpit's new-message webhook: post every message
    )
    yield srv
    code = srv.stop()
    assert code == 0, srv.output()


def register(api: httpx.Client, url: str, fmt: str, **extra: Any) -> dict[str, Any]:
    response = api.post("/api/v1/webhooks", json={"url": url, "format": fmt, **extra})
    assert response.status_code == 200, response.text
    made: dict[str, Any] = response.json()
    return made


def deliveries(api: httpx.Client, webhook: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = api.get(f"/api/v1/webhooks/{webhook}/deliveries").json()[
        "deliveries"
    ]
    return found


def advance(api: httpx.Client, seconds: float) -> None:
    moved = api.post("/api/v1/clock/advance", json={"seconds": seconds})
    assert moved.status_code == 200, moved.text


def smtp_send(server: Process, to: str, attempts: int = 5) -> None:
    """Send one message, trying again while a scenario refuses it (as an MTA would)."""
    for _ in range(attempts):
        try:
            send(server, make_message(subject=f"to {to}", to=to))
            return
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError):
            continue
        except smtplib.SMTPServerDisconnected:  # a 421 closes the session
            continue
    raise AssertionError(f"{to} still refused after {attempts} attempts")


# -- verifying what came ---------------------------------------------------------------------------


def svix_verified(secret: str, request: Received) -> dict[str, Any]:
    """The payload once the official library has verified it (it raises if forged or stale)."""
    svix.Webhook(secret).verify(request.body, request.headers)
    payload: dict[str, Any] = request.json()
    return payload


class Resend:
    """The Resend endpoint: every request verified with the official library."""

    def __init__(self, hook: Receiver, secret: str) -> None:
        self.hook, self.secret = hook, secret

    def events(self, recipient: str) -> list[dict[str, Any]]:
        found = []
        for request in self.hook.matching(lambda r: recipient.encode() in r.body):
            payload = svix_verified(self.secret, request)
            if recipient in payload["data"]["to"]:
                found.append(payload)
        return found


class SNS:
    """The SES-via-SNS endpoint: confirms its subscription, verifies every message."""

    def __init__(self, hook: Receiver, cert_url: str) -> None:
        self.hook, self.cert_url = hook, cert_url
        self.validator = SNSMessageValidator(cert_url_regex="^" + re.escape(cert_url) + "$")
        self.lock = threading.Lock()

    def verified(self, request: Received) -> dict[str, Any]:
        message: dict[str, Any] = request.json()
        with self.lock:
            self.validator.validate_message(message)  # raises if forged
        return message

    def events(self, recipient: str) -> list[dict[str, Any]]:
        found = []
        for request in self.hook.matching(lambda r: recipient.encode() in r.body):
            message = self.verified(request)
            assert request.headers["x-amz-sns-message-type"] == message["Type"] == "Notification"
            assert request.headers["x-amz-sns-message-id"] == message["MessageId"]
            event = json.loads(message["Message"])
            if recipient in event["mail"]["destination"]:
                found.append(event)
        return found


def auto_confirming(hook: Receiver) -> Callable[[Received], int]:
    """What SNS receivers do: visit the SubscribeURL of a SubscriptionConfirmation."""

    def handle(request: Received) -> int:
        if request.headers.get("x-amz-sns-message-type") == "SubscriptionConfirmation":
            confirmed = httpx.get(request.json()["SubscribeURL"], timeout=10)
            assert confirmed.status_code == 200, confirmed.text
        return 200

    return handle


@dataclass
class Hooks:
    resend: Resend
    sns: SNS
    eventbridge: Receiver
    ids: dict[str, str]


@pytest.fixture(scope="module")
def hooks(server: Process) -> Iterator[Hooks]:
    with (
        server.api() as api,
        Receiver() as resend_hook,
        Receiver() as sns_hook,
        Receiver() as eventbridge_hook,
    ):
        sns_hook.handler = auto_confirming(sns_hook)
        resend = register(api, resend_hook.url, "resend")
        sns = register(api, sns_hook.url, "sns")
        eventbridge = register(api, eventbridge_hook.url, "eventbridge")
        cert_url = f"{server.url}/_sns/SimpleNotificationService-mailyard.pem"
        checker = SNS(sns_hook, cert_url)
        (confirmation,) = sns_hook.wait(1)
        assert checker.verified(confirmation)["Type"] == "SubscriptionConfirmation"
        wait_for(
            lambda: any(
                w["id"] == sns["id"] and w["confirmed"]
                for w in api.get("/api/v1/webhooks").json()["webhooks"]
            )
        )
        yield Hooks(
            Resend(resend_hook, resend["secret"]),
            checker,
            eventbridge_hook,
            {"resend": resend["id"], "sns": sns["id"], "eventbridge": eventbridge["id"]},
        )
        for webhook in (resend, sns, eventbridge):
            api.delete(f"/api/v1/webhooks/{webhook['id']}")


def eventbridge_events(hook: Receiver, recipient: str) -> list[dict[str, Any]]:
    found = []
    for request in hook.matching(lambda r: recipient.encode() in r.body):
        event = request.json()
        if recipient in event["detail"]["mail"]["destination"]:
            found.append(event)
    return found


# -- every address, end to end ---------------------------------------------------------------------

SEND, DELIVERY, BOUNCE, COMPLAINT = "Send", "Delivery", "Bounce", "Complaint"
DELAY, REJECT = "DeliveryDelay", "Reject"
RESEND_NAMES = {
    SEND: "email.sent",
    DELIVERY: "email.delivered",
    BOUNCE: "email.bounced",
    COMPLAINT: "email.complained",
    DELAY: "email.delivery_delayed",
    REJECT: "email.failed",
}
BRIDGE_NAMES = {
    SEND: "Email Sent",
    DELIVERY: "Email Delivered",
    BOUNCE: "Email Bounced",
    COMPLAINT: "Email Complaint Received",
    DELAY: "Email Delivery Delayed",
    REJECT: "Email Rejected",
}


@dataclass(frozen=True)
class Case:
    address: str  # word@domain; a label is added per test
    ses: tuple[str, ...]  # SES eventTypes, in the order they happen
    bounce: tuple[str, str] | None = None  # bounceType, bounceSubType
    delayed: float = 0.0  # seconds the clock must move for the last event
    resend_last: str | None = None  # when Resend's name differs from the table's


CASES = [
    # SES mailbox simulator (providers.md Part B)
    Case("success@simulator.amazonses.com", (SEND, DELIVERY)),
    Case("bounce@simulator.amazonses.com", (SEND, BOUNCE), ("Permanent", "General")),
    Case("ooto@simulator.amazonses.com", (SEND, DELIVERY, BOUNCE), ("Transient", "General")),
    Case("complaint@simulator.amazonses.com", (SEND, DELIVERY, COMPLAINT)),
    Case("suppressionlist@simulator.amazonses.com", (SEND, BOUNCE), ("Permanent", "Suppressed")),
    # Resend's test addresses (D6)
    Case("delivered@resend.dev", (SEND, DELIVERY)),
    Case("bounced@resend.dev", (SEND, BOUNCE), ("Permanent", "General")),
    Case("complained@resend.dev", (SEND, DELIVERY, COMPLAINT)),
    Case(
        "suppressed@resend.dev",
        (SEND, BOUNCE),
        ("Permanent", "OnAccountSuppressionList"),
        resend_last="email.suppressed",
    ),
    # mailyard's scenario addresses (sandbox/simulate/scenarios.py)
    Case("deliver@sim.mailyard.test", (SEND, DELIVERY)),
    Case("hardbounce@sim.mailyard.test", (SEND, BOUNCE), ("Permanent", "General")),
    Case("hardbounce-noemail@sim.mailyard.test", (SEND, BOUNCE), ("Permanent", "NoEmail")),
    Case("softbounce@sim.mailyard.test", (SEND, BOUNCE), ("Transient", "General")),
    Case("softbounce-mailboxfull@sim.mailyard.test", (SEND, BOUNCE), ("Transient", "MailboxFull")),
    Case("softbounce-toolarge@sim.mailyard.test", (SEND, BOUNCE), ("Transient", "MessageTooLarge")),
    Case("softbounce-content@sim.mailyard.test", (SEND, BOUNCE), ("Transient", "ContentRejected")),
    Case(
        "softbounce-attachment@sim.mailyard.test",
        (SEND, BOUNCE),
        ("Transient", "AttachmentRejected"),
    ),
    Case("complaint@sim.mailyard.test", (SEND, DELIVERY, COMPLAINT)),
    Case("complaint-fraud@sim.mailyard.test", (SEND, DELIVERY, COMPLAINT)),
    Case("reject@sim.mailyard.test", (SEND, REJECT)),
    Case("delay-30s@sim.mailyard.test", (SEND, DELAY, DELIVERY), delayed=30),
    Case(
        "delay-2m-hardbounce@sim.mailyard.test",
        (SEND, DELAY, BOUNCE),
        ("Permanent", "General"),
        delayed=120,
    ),
    Case(
        "delay-1h-softbounce-mailboxfull@sim.mailyard.test",
        (SEND, DELAY, BOUNCE),
        ("Transient", "MailboxFull"),
        delayed=3600,
    ),
    Case("fail-2x-451@sim.mailyard.test", (SEND, DELIVERY)),
    Case("fail-1x-421-data@sim.mailyard.test", (SEND, DELIVERY)),
    Case("fail-2x-454@sim.mailyard.test", (SEND, DELIVERY)),
    Case("throttle-2x@sim.mailyard.test", (SEND, DELIVERY)),
]


def _labelled(address: str) -> str:
    word, _, domain = address.partition("@")
    return f"{word}+{uuid.uuid4().hex[:10]}@{domain}"


@pytest.mark.parametrize("case", CASES, ids=[c.address for c in CASES])
def test_each_address_reaches_every_format_verified(
    server: Process, api: httpx.Client, hooks: Hooks, case: Case
) -> None:
    to = _labelled(case.address)
    smtp_send(server, to)
    before = case.ses[:-1] if case.delayed else case.ses
    expect_resend = [RESEND_NAMES[name] for name in case.ses]
    if case.resend_last:
        expect_resend[-1] = case.resend_last

    def arrived(count: int) -> Callable[[], bool]:
        return lambda: (
            len(hooks.resend.events(to)) >= count
            and len(hooks.sns.events(to)) >= count
            and len(eventbridge_events(hooks.eventbridge, to)) >= count
        )

    wait_for(arrived(len(before)))
    if case.delayed:
        # Only the delay so far; moving the clock releases the rest.
        assert Counter(e["eventType"] for e in hooks.sns.events(to)) == Counter(before)
        advance(api, case.delayed)
        wait_for(arrived(len(case.ses)))

    ses_events = hooks.sns.events(to)
    resend_events = hooks.resend.events(to)
    bridge = eventbridge_events(hooks.eventbridge, to)
    # Deliveries are concurrent, so compare as multisets; each event exactly once per endpoint.
    assert Counter(e["eventType"] for e in ses_events) == Counter(case.ses)
    assert Counter(e["type"] for e in resend_events) == Counter(expect_resend)
    assert Counter(e["detail-type"] for e in bridge) == Counter(BRIDGE_NAMES[n] for n in case.ses)
    assert {e["source"] for e in bridge} == {"aws.ses"}
    assert all(e["detail"]["eventType"] in case.ses for e in bridge)
    # The label is kept verbatim, and one message is one SES messageId / Resend email_id.
    assert all(e["mail"]["destination"] == [to] for e in ses_events)
    assert len({e["mail"]["messageId"] for e in ses_events}) == 1
    assert len({e["data"]["email_id"] for e in resend_events}) == 1
    if case.bounce is not None:
        (bounce,) = [e for e in ses_events if e["eventType"] == BOUNCE]
        detail = bounce["bounce"]
        assert (detail["bounceType"], detail["bounceSubType"]) == case.bounce
        assert detail["bouncedRecipients"][0]["emailAddress"] == to
        last = next(e for e in resend_events if e["type"] == expect_resend[-1])
        key = "suppressed" if case.resend_last == "email.suppressed" else "bounce"
        assert last["data"][key]["type"] in (case.bounce[0], "OnAccountSuppressionList")


def test_an_sns_endpoint_gets_nothing_until_it_confirms(server: Process, api: httpx.Client) -> None:
    with Receiver() as hook:  # answers 200 but does not visit the SubscribeURL
        made = register(api, hook.url, "sns")
        (confirmation,) = hook.wait(1)
        to = _labelled("success@simulator.amazonses.com")
        smtp_send(server, to)
        wait_for(
            lambda: sum(d["status"] == "unconfirmed" for d in deliveries(api, made["id"])) == 2
        )
        assert len(hook.requests) == 1  # held, not sent
        checker = SNS(hook, f"{server.url}/_sns/SimpleNotificationService-mailyard.pem")
        message = checker.verified(confirmation)
        assert message["Type"] == "SubscriptionConfirmation" and message["Token"]
        assert message["SubscribeURL"].startswith(f"{server.url}/_sns/?Action=ConfirmSubscription")
        visit = httpx.get(message["SubscribeURL"], timeout=10)
        assert visit.status_code == 200 and "<SubscriptionArn>" in visit.text
        hook.wait_until(lambda: len(checker.events(to)) == 2)
        assert Counter(e["eventType"] for e in checker.events(to)) == Counter([SEND, DELIVERY])
        api.delete(f"/api/v1/webhooks/{made['id']}")


def test_mailpits_new_message_webhook_posts_the_summary(server: Process, api: httpx.Client) -> None:
    with Receiver() as hook:
        made = register(api, hook.url, "mailpit")
        subject = f"mailpit webhook {uuid.uuid4().hex[:8]}"
        send(server, make_message(subject=subject, to="someone@example.com"))
        hook.wait_until(lambda: bool(hook.matching(lambda r: subject.encode() in r.body)))
        (request,) = hook.matching(lambda r: subject.encode() in r.body)
        api.delete(f"/api/v1/webhooks/{made['id']}")
    summary = request.json()
    assert request.headers["content-type"] == "application/json"
    assert summary["Subject"] == subject
    assert summary["To"] == [{"Name": "", "Address": "someone@example.com"}]
    assert summary["From"]["Address"] == "app@example.com"
    assert {"ID", "MessageID", "Created", "Size", "Snippet", "Tags"} <= set(summary)
    assert api.get(f"/api/v1/message/{summary['ID']}").json()["Subject"] == subject


# -- retries, redelivery, filters, a hanging endpoint ----------------------------------------------


def test_an_endpoint_failing_twice_gets_the_event_once_more_all_attempts_logged(
    server: Process, api: httpx.Client
) -> None:
    with Receiver(answers=[500, 503]) as hook:
        made = register(api, hook.url, "resend", events=["email.delivered"])

        def recorded(count: int, status: str = "pending") -> Callable[[], bool]:
            def check() -> bool:
                found = deliveries(api, made["id"])
                return bool(found) and (len(found[0]["attempts"]), found[0]["status"]) == (
                    count,
                    status,
                )

            return check

        to = _labelled("delivered@resend.dev")
        smtp_send(server, to)
        wait_for(recorded(1))  # answered 500 and its retry scheduled ...
        advance(api, 5)  # ... which Svix makes 5 s later
        wait_for(recorded(2))
        advance(api, 300)  # the next one 5 min after that
        wait_for(recorded(3, "succeeded"))
        # Nothing is left to come: a day later, a new event through the same endpoint gets
        # there, and the first has still been sent three times (a fourth attempt would have
        # been started by the advance, before the new message was even sent).
        advance(api, 86400)
        marker = _labelled("delivered@resend.dev")
        smtp_send(server, marker)
        hook.wait_until(lambda: bool(hook.matching(lambda r: marker.encode() in r.body)))
        first = hook.matching(lambda r: to.encode() in r.body)
        (delivery, *_) = deliveries(api, made["id"])
        api.delete(f"/api/v1/webhooks/{made['id']}")
    assert hook.statuses[:3] == [500, 503, 200]
    assert len(first) == 3  # the event exactly once more after the two failures, then no more
    assert len({r.headers["svix-id"] for r in first}) == 1  # a retry keeps its id
    assert {r.body for r in first} == {first[0].body}
    for request in first:  # each attempt signed afresh, at the real time, and verifiable
        assert svix_verified(made["secret"], request)["type"] == "email.delivered"
    assert delivery["messageKey"] == first[0].headers["svix-id"]
    assert [a["statusCode"] for a in delivery["attempts"]] == [500, 503, 200]
    assert [a["response"] for a in delivery["attempts"]] == ["ok", "ok", "ok"]
    assert all(a["latencyMs"] >= 0 and a["error"] is None for a in delivery["attempts"])
    # The attempts are 5 s and then 300 s apart on mailyard's clock: Svix's schedule.
    at = [a["at"] for a in delivery["attempts"]]
    assert at[1] - at[0] >= 5 and at[2] - at[1] >= 300


def test_redeliver_sends_a_delivery_again(server: Process, api: httpx.Client) -> None:
    with Receiver() as hook:
        made = register(api, hook.url, "resend", events=["email.sent"])
        to = _labelled("delivered@resend.dev")
        smtp_send(server, to)
        (original,) = hook.wait(1)
        (delivery,) = deliveries(api, made["id"])
        again = api.post(f"/api/v1/webhooks/deliveries/{delivery['id']}/redeliver")
        assert again.status_code == 200, again.text
        _, repeated = hook.wait(2)
        wait_for(lambda: len(deliveries(api, made["id"])[0]["attempts"]) == 2)
        missing = api.post("/api/v1/webhooks/deliveries/999999999/redeliver")
        api.delete(f"/api/v1/webhooks/{made['id']}")
    assert repeated.headers["svix-id"] == original.headers["svix-id"]
    assert repeated.body == original.body
    assert svix_verified(made["secret"], repeated)["type"] == "email.sent"
    assert missing.status_code == 404


def test_an_event_filter_is_honoured(server: Process, api: httpx.Client) -> None:
    with Receiver() as resend_hook, Receiver() as bridge_hook:
        only_bounces = register(api, resend_hook.url, "resend", events=["email.bounced"])
        only_complaints = register(api, bridge_hook.url, "eventbridge", events=["Complaint"])
        delivered, bounced = _labelled("delivered@resend.dev"), _labelled("bounced@resend.dev")
        complained = _labelled("complaint@simulator.amazonses.com")
        for to in (delivered, bounced, complained):
            smtp_send(server, to)
        (bounce,) = resend_hook.wait(1)
        (complaint,) = bridge_hook.wait(1)
        # Filtered when the deliveries are made: no delivery exists for anything else.
        made_resend = deliveries(api, only_bounces["id"])
        made_bridge = deliveries(api, only_complaints["id"])
        for webhook in (only_bounces, only_complaints):
            api.delete(f"/api/v1/webhooks/{webhook['id']}")
    payload = svix_verified(only_bounces["secret"], bounce)
    assert payload["type"] == "email.bounced" and payload["data"]["to"] == [bounced]
    assert complaint.json()["detail-type"] == "Email Complaint Received"
    assert len(made_resend) == 1 and len(made_bridge) == 1


def test_a_hanging_endpoint_holds_up_neither_others_nor_ingest(
    server: Process, api: httpx.Client
) -> None:
    count = 30
    with Receiver(hang=True) as stuck, Receiver() as healthy:
        hanging = register(api, stuck.url, "resend", events=["email.delivered"])
        fine = register(api, healthy.url, "resend", events=["email.delivered"])
        mailbox = "hang-" + uuid.uuid4().hex[:8]
        with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=30) as smtp:
            smtp.login(mailbox, "secret")
            for i in range(count):
                smtp.send_message(
                    make_message(subject=f"hang {i}", to=f"delivered+h{i}@resend.dev")
                )
        # Every message stored and every event delivered to the healthy endpoint ...
        wait_for(lambda: len(messages(api, mailbox)) == count)
        healthy.wait(count)
        # ... while the stuck one holds its connections and has not answered a single one.
        assert stuck.open_hangs >= 1 and stuck.statuses == []
        assert all(not d["attempts"] for d in deliveries(api, hanging["id"]))
        # An answer is recorded a moment after it arrives: wait for the last ones to be.
        wait_for(lambda: all(d["status"] == "succeeded" for d in deliveries(api, fine["id"])))
        api.delete(f"/api/v1/webhooks/{hanging['id']}")
        api.delete(f"/api/v1/webhooks/{fine['id']}")
    assert {svix_verified(fine["secret"], r)["data"]["to"][0] for r in healthy.requests} == {
        f"delivered+h{i}@resend.dev" for i in range(count)
    }
