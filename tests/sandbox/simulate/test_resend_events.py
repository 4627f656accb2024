"""Resend webhook payloads against Resend's documented examples (providers.md D7), field by field."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from mailyard.sandbox.errors import InvalidInputError
from mailyard.sandbox.simulate.outcomes import (
    Bounce,
    Complaint,
    Delivery,
    Engagement,
    Kind,
    Reject,
    Step,
)
from mailyard.sandbox.simulate.resend_events import (
    ON_ACCOUNT_LIST,
    ResendMail,
    last_event,
    payload_json,
    resend_event,
    scheduled_event,
)


def t(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


DOCS_MAIL = ResendMail(
    email_id="56761188-7520-42d8-8898-ff6fc54ce618",
    created_at=t("2026-11-22T23:41:11.894719+00:00"),
    from_="Acme <onboarding@resend.dev>",
    to=("delivered@resend.dev",),
    subject="Sending this example",
    tags=(("category", "confirm_email"),),
    broadcast_id="8b146471-e88e-4322-86af-016cd36fd216",
    template_id="43f68331-0622-4e15-8202-246a0388854b",
)


def test_bounced_matches_the_docs_example() -> None:
    expected = json.loads(
        """{"type":"email.bounced","created_at":"2026-11-22T23:41:12.126Z",
 "data":{"broadcast_id":"8b146471-e88e-4322-86af-016cd36fd216","created_at":"2026-11-22T23:41:11.894719+00:00",
  "email_id":"56761188-7520-42d8-8898-ff6fc54ce618","from":"Acme <onboarding@resend.dev>","to":["delivered@resend.dev"],
  "subject":"Sending this example","template_id":"43f68331-0622-4e15-8202-246a0388854b",
  "bounce":{"message":"The recipient's email address is on the suppression list because it has a recent history of producing hard bounces.",
            "subType":"Suppressed","type":"Permanent"},
  "tags":{"category":"confirm_email"}}}"""
    )
    detail = Bounce(
        subtype="Suppressed",
        diagnostic=None,  # the docs' example has no diagnosticCode
        message="The recipient's email address is on the suppression list because it has a"
        " recent history of producing hard bounces.",
    )
    event = resend_event(
        DOCS_MAIL,
        Step(0.2, Kind.BOUNCE, detail),
        ["delivered@resend.dev"],
        t("2026-11-22T23:41:12.126Z"),
    )
    assert event == expected
    assert list(event["data"]) == list(expected["data"])  # type: ignore[call-overload]


def test_bounce_diagnostic_code_is_an_array_one_per_recipient() -> None:
    mail = ResendMail(
        "e1", 0.0, "a@example.com", ("bounced@resend.dev", "bounced+2@resend.dev"), "s"
    )
    event = resend_event(mail, Step(0.0, Kind.BOUNCE, Bounce()), list(mail.to), 1.0)
    assert event["data"]["bounce"] == {  # type: ignore[index]
        "message": "The recipient's mail server permanently rejected the email.",
        "subType": "General",
        "type": "Permanent",
        "diagnosticCode": ["smtp; 550 5.1.1 user unknown"] * 2,
    }


def test_clicked_matches_the_docs_click_object() -> None:
    agent = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15"
    step = Step(9.0, Kind.CLICK, Engagement("122.115.53.11", agent, "https://resend.com"))
    event = resend_event(DOCS_MAIL, step, ["delivered@resend.dev"], t("2024-11-24T05:00:57.163Z"))
    assert event["type"] == "email.clicked"
    assert event["data"]["click"] == {  # type: ignore[index]
        "ipAddress": "122.115.53.11",
        "link": "https://resend.com",
        "timestamp": "2024-11-24T05:00:57.163Z",
        "userAgent": agent,
    }


def test_base_events_carry_base_data_only_and_message_id_when_known() -> None:
    mail = ResendMail(
        "4ef9a417-02e9-4d39-ad75-9611e0fcc33c",
        t("2023-04-03T22:13:42.674981+00:00"),
        "Acme <onboarding@resend.dev>",
        ("complained@resend.dev",),
        "Hello World",
        message_id="<111-222-333@email.example.com>",
    )
    for kind, name in [
        (Kind.SEND, "email.sent"),
        (Kind.DELIVERY, "email.delivered"),
        (Kind.DELIVERY_DELAY, "email.delivery_delayed"),
        (Kind.COMPLAINT, "email.complained"),
        (Kind.OPEN, "email.opened"),
    ]:
        event = resend_event(mail, Step(0.0, kind), ["complained@resend.dev"], 1_700_000_000.5)
        assert event == {
            "type": name,
            "created_at": "2023-11-14T22:13:20.500Z",
            "data": {
                "created_at": "2023-04-03T22:13:42.674981+00:00",
                "email_id": "4ef9a417-02e9-4d39-ad75-9611e0fcc33c",
                "from": "Acme <onboarding@resend.dev>",
                "to": ["complained@resend.dev"],
                "subject": "Hello World",
                "message_id": "<111-222-333@email.example.com>",
                "tags": {},
            },
        }


def test_headers_appear_only_when_custom_headers_were_set() -> None:
    plain = resend_event(DOCS_MAIL, Step(0.0, Kind.SEND), ["delivered@resend.dev"], 0.0)
    assert "headers" not in plain["data"]  # type: ignore[operator]
    custom = ResendMail("e", 0.0, "a@x.io", ("b@x.io",), "s", headers=(("X-Entity-Ref-ID", "abc"),))
    event = resend_event(custom, Step(0.0, Kind.SEND), ["b@x.io"], 0.0)
    assert event["data"]["headers"] == [{"name": "X-Entity-Ref-ID", "value": "abc"}]  # type: ignore[index]


def test_suppressed_from_a_bounce_and_from_a_complaint() -> None:
    on_list = Bounce(subtype="OnAccountSuppressionList", message=ON_ACCOUNT_LIST)
    event = resend_event(
        DOCS_MAIL, Step(0.0, Kind.SUPPRESSED, on_list), ["suppressed@resend.dev"], 0.0
    )
    assert event["type"] == "email.suppressed"
    assert event["data"]["suppressed"] == {  # type: ignore[index]
        "message": "Resend has suppressed sending to this address because it is on the"
        " account-level suppression list.",
        "reason": "previous_bounce",
        "type": "OnAccountSuppressionList",
    }
    complaint = Complaint(feedback_type=None, subtype="OnAccountSuppressionList", user_agent=None)
    by_complaint = resend_event(DOCS_MAIL, Step(0.0, Kind.SUPPRESSED, complaint), ["x@y.z"], 0.0)
    assert by_complaint["data"]["suppressed"]["reason"] == "previous_complaint"  # type: ignore[index]


def test_reject_and_rendering_failure_are_failed() -> None:
    failed = resend_event(
        DOCS_MAIL, Step(0.0, Kind.REJECT, Reject("reached_daily_quota")), ["a@b.c"], 0.0
    )
    assert failed["type"] == "email.failed"
    assert failed["data"]["failed"] == {"reason": "reached_daily_quota"}  # type: ignore[index]
    with pytest.raises(InvalidInputError) as caught:
        resend_event(DOCS_MAIL, Step(0.0, Kind.RENDERING_FAILURE), ["a@b.c"], 0.0)
    assert caught.value.field == "failed_reason"
    rendered = resend_event(
        DOCS_MAIL, Step(0.0, Kind.RENDERING_FAILURE), ["a@b.c"], 0.0, failed_reason="render_error"
    )
    assert rendered["data"]["failed"] == {"reason": "render_error"}  # type: ignore[index]


def test_scheduled_lists_every_recipient() -> None:
    event = scheduled_event(DOCS_MAIL, 0.0)
    assert event["type"] == "email.scheduled"
    assert event["data"]["to"] == ["delivered@resend.dev"]  # type: ignore[index]


def test_last_event_for_each_kind() -> None:
    assert {kind: last_event(kind) for kind in Kind} == {
        Kind.SEND: "sent",
        Kind.DELIVERY: "delivered",
        Kind.BOUNCE: "bounced",
        Kind.COMPLAINT: "complained",
        Kind.DELIVERY_DELAY: "delivery_delayed",
        Kind.REJECT: "failed",
        Kind.OPEN: "opened",
        Kind.CLICK: "clicked",
        Kind.RENDERING_FAILURE: "failed",
        Kind.SUPPRESSED: "suppressed",
    }


def test_wrong_detail_is_refused_and_payload_json_is_compact() -> None:
    with pytest.raises(InvalidInputError, match="needs a Bounce detail, not Delivery"):
        resend_event(DOCS_MAIL, Step(0.0, Kind.BOUNCE, Delivery()), ["a@b.c"], 0.0)
    text = payload_json(resend_event(DOCS_MAIL, Step(0.0, Kind.SEND), ["a@b.c"], 0.0))
    assert text.startswith('{"type":"email.sent","created_at":"1970-01-01T00:00:00.000Z",')
