"""An event's detail survives the database: every detail class, and rows written before the
class had a key of its own (when a bounce's own `type` overwrote it)."""

from __future__ import annotations

import json

import pytest

from mailyard.sandbox.simulate.addresses import OOTO
from mailyard.sandbox.simulate.outcomes import (
    Bounce,
    Complaint,
    Delay,
    Delivery,
    Engagement,
    Reject,
)
from mailyard.sandbox.store.event_records import detail_from_json, detail_json

DETAILS = [
    Bounce(),
    Bounce("Transient", "MailboxFull", "4.2.2", "smtp; 452 4.2.2 Mailbox full"),
    OOTO,
    Complaint("fraud"),
    Delay(),
    Delivery(),
    Engagement(link="https://example.com/"),
    Reject(),
]


@pytest.mark.parametrize("detail", DETAILS, ids=lambda d: type(d).__name__)
def test_each_detail_reads_back_as_written(detail: object) -> None:
    assert detail_from_json(detail_json(detail)) == detail  # type: ignore[arg-type]


def test_a_transient_bounce_stays_transient() -> None:
    assert json.loads(detail_json(OOTO))["type"] == "Transient"
    back = detail_from_json(detail_json(OOTO))
    assert isinstance(back, Bounce) and (back.type, back.subtype) == ("Transient", "General")


def test_rows_written_the_old_way_still_read() -> None:
    old_complaint = json.dumps(
        {"type": "Complaint", "feedback_type": "abuse", "subtype": None, "user_agent": None}
    )
    assert detail_from_json(old_complaint) == Complaint("abuse", None, None)
    soft = Bounce("Transient", "MailboxFull")
    overwritten = json.dumps({"type": "Bounce", **soft.__dict__})  # "type" became "Transient"
    assert detail_from_json(overwritten) == soft
    assert detail_from_json("{}") is None
