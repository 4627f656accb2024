"""SES events as EventBridge delivers them (providers.md A9; EventBridge's SES events reference).

    {"version": "0", "id": "<uuid>", "detail-type": "Email Bounced", "source": "aws.ses",
     "account": "123456789012", "time": "2025-01-15T10:30:02Z", "region": "us-east-1",
     "resources": [], "detail": {<the event-publishing record: eventType, mail, bounce ...>}}

`detail-type` is EventBridge's name for the record's `eventType` (the list below is the
reference's "SES service events"). `time` is whole seconds with `Z`, EventBridge's form.
`resources` is left to the caller: the reference does not show what SES puts there, so the
default is an empty list (which a rule on `source`/`detail-type` never reads). An EventBridge
API destination POSTs this JSON as the body, authorised by a header the user configured; there
is no signature to make.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping, Sequence

from mailyard.sandbox.errors import InvalidInputError
from mailyard.sandbox.simulate.stamps import iso_seconds

SOURCE = "aws.ses"
DETAIL_TYPES = {
    "Send": "Email Sent",
    "Delivery": "Email Delivered",
    "Bounce": "Email Bounced",
    "Complaint": "Email Complaint Received",
    "Reject": "Email Rejected",
    "Open": "Email Opened",
    "Click": "Email Clicked",
    "Rendering Failure": "Email Rendering Failed",
    "DeliveryDelay": "Email Delivery Delayed",
    "Subscription": "Email Subscribed",
}


def event_id(rng: random.Random) -> str:
    """An EventBridge event id (a UUID)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def eventbridge_event(
    detail: Mapping[str, object],
    *,
    event_id: str,
    account: str,
    region: str,
    at: float,
    resources: Sequence[str] = (),
) -> dict[str, object]:
    """Wrap one SES event-publishing record (`ses_events.publishing_event`) for EventBridge."""
    kind = detail.get("eventType")
    if not isinstance(kind, str) or kind not in DETAIL_TYPES:
        raise InvalidInputError(
            f"EventBridge carries event-publishing records, not eventType {kind!r}",
            "detail.eventType",
        )
    return {
        "version": "0",
        "id": event_id,
        "detail-type": DETAIL_TYPES[kind],
        "source": SOURCE,
        "account": account,
        "time": iso_seconds(at),
        "region": region,
        "resources": list(resources),
        "detail": dict(detail),
    }
