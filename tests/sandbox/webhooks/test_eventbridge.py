"""SES events wrapped for EventBridge: the reference's detail-types, its envelope fields."""

from __future__ import annotations

import random

import pytest

from mailyard.sandbox.errors import InvalidInputError
from mailyard.sandbox.simulate.outcomes import Engagement, Kind, Reject, Step
from mailyard.sandbox.simulate.ses_events import RenderingFailure, publishing_event
from mailyard.sandbox.simulate.ses_mail import SESMail
from mailyard.sandbox.webhooks.eventbridge import event_id, eventbridge_event

MAIL = SESMail(
    message_id="0100019b0000000a-6c7dd360-d2e7-46c8-b038-514a6f037e20-000000",
    accepted=1_736_937_000.0,
    source="hello@yourapp.com",
    source_arn="arn:aws:ses:us-east-1:123456789012:identity/yourapp.com",
    sending_account_id="123456789012",
    destination=("user@example.com",),
    configuration_set="tracking",
)


@pytest.mark.parametrize(
    ("kind", "detail_type"),
    [
        (Kind.SEND, "Email Sent"),
        (Kind.DELIVERY, "Email Delivered"),
        (Kind.BOUNCE, "Email Bounced"),
        (Kind.COMPLAINT, "Email Complaint Received"),
        (Kind.REJECT, "Email Rejected"),
        (Kind.OPEN, "Email Opened"),
        (Kind.CLICK, "Email Clicked"),
        (Kind.RENDERING_FAILURE, "Email Rendering Failed"),
        (Kind.DELIVERY_DELAY, "Email Delivery Delayed"),
    ],
)
def test_each_event_gets_the_reference_detail_type(kind: Kind, detail_type: str) -> None:
    detail = (
        Reject()
        if kind is Kind.REJECT
        else Engagement()
        if kind in (Kind.OPEN, Kind.CLICK)
        else None
    )
    record = publishing_event(
        MAIL,
        Step(1.0, kind, detail),
        ["user@example.com"],
        MAIL.accepted + 1.5,
        rng=random.Random(1),
        rendering=RenderingFailure("T", "missing"),
    )
    event = eventbridge_event(
        record,
        event_id=event_id(random.Random(2)),
        account="123456789012",
        region="us-east-1",
        at=MAIL.accepted + 1.5,
    )
    assert event == {
        "version": "0",
        "id": event_id(random.Random(2)),
        "detail-type": detail_type,
        "source": "aws.ses",
        "account": "123456789012",
        "time": "2025-01-15T10:30:01Z",  # the second it happened in
        "region": "us-east-1",
        "resources": [],
        "detail": record,
    }


def test_resources_are_the_callers_and_feedback_notifications_are_refused() -> None:
    record = publishing_event(MAIL, Step(0.0, Kind.SEND), [], MAIL.accepted, rng=random.Random(1))
    arn = "arn:aws:ses:us-east-1:123456789012:configuration-set/tracking"
    event = eventbridge_event(
        record, event_id="e", account="1", region="eu-west-1", at=0.0, resources=[arn]
    )
    assert event["resources"] == [arn] and event["time"] == "1970-01-01T00:00:00Z"
    with pytest.raises(InvalidInputError) as caught:
        eventbridge_event(
            {"notificationType": "Bounce"}, event_id="e", account="1", region="r", at=0.0
        )
    assert caught.value.field == "detail.eventType"
