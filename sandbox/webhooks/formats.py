"""One delivery as each receiver expects it: the body, the headers, the signature.

- `sns`: SES events in SNS `Notification` envelopes (SubscriptionConfirmation first), signed with
  mailyard's SNS key, whose certificate is served at the SigningCertURL.
- `eventbridge`: SES events wrapped as EventBridge delivers them to an API destination.
- `resend`: Resend's webhook payloads, signed the Svix way with the endpoint's `whsec_` secret;
  each attempt is signed again with its own timestamp, the `svix-id` stays the same.
- `mailpit`: Mailpit's new-message webhook (the message's summary), for Mailpit's own users.
- `auth`: the reference auth service's lifecycle events (`user.created`, `invitation.accepted`,
  ...), signed the Standard Webhooks way (`webhook-id`, `webhook-timestamp`, `webhook-signature`:
  Svix's scheme under neutral names), which the `standardwebhooks` libraries verify.

Retry schedules are the providers' own (Svix's for Resend, SNS's default HTTP policy,
EventBridge's backoff over a day), scaled by `retry_scale` so a test can compress them.
"""

from __future__ import annotations

import json
import random
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from mailyard.sandbox.simulate.payloads import DEFAULT_ACCOUNT, DEFAULT_REGION, About, render
from mailyard.sandbox.simulate.resend_events import event_type as resend_event_type
from mailyard.sandbox.simulate.resend_events import payload_json
from mailyard.sandbox.simulate.ses_events import event_json
from mailyard.sandbox.simulate.ses_events import event_type as ses_event_type
from mailyard.sandbox.store.event_records import StoredEvent
from mailyard.sandbox.store.webhooks import Delivery, Endpoint
from mailyard.sandbox.webhooks.eventbridge import DETAIL_TYPES, eventbridge_event
from mailyard.sandbox.webhooks.eventbridge import event_id as eventbridge_id
from mailyard.sandbox.webhooks.sns_envelope import (
    SES_SUBJECT,
    Subscription,
    notification,
    ses_message,
    sns_message_id,
    subscription_confirmation,
)
from mailyard.sandbox.webhooks.sns_signing import SigningKey
from mailyard.sandbox.webhooks.svix_signing import message_id as svix_message_id
from mailyard.sandbox.webhooks.svix_signing import svix_headers

CERT_PATH = "/_sns/SimpleNotificationService-mailyard.pem"
SERVICE_PATH = "/_sns/"
# Seconds to wait after each failed attempt; one attempt more than the list is long.
RETRIES: dict[str, tuple[float, ...]] = {
    "resend": (5, 300, 1800, 7200, 18000, 36000, 36000),  # Svix: 5 s, 5 min, 30 min, 2 h, ...
    "sns": (20, 20, 20),  # SNS's default HTTP delivery policy: 3 retries, 20 s apart
    "eventbridge": tuple(float(min(2**i, 3600)) for i in range(35)),  # backoff, about a day
    "mailpit": (),  # Mailpit posts once
    "auth": (5, 300, 1800, 7200, 18000, 36000, 36000),  # Standard Webhooks suggest Svix's
}
TIMEOUT = 15.0  # seconds an endpoint has to answer an attempt
RENDERED = 4096  # events whose rendered JSON is kept (per provider shape), oldest dropped first


@dataclass(frozen=True)
class Request:
    body: bytes
    headers: dict[str, str]


MessageJSON = Callable[[str], dict[str, object] | None]
AboutLookup = Callable[[str], About | None]


def event_names(endpoint_format: str, event: StoredEvent) -> tuple[str, ...]:
    """The event's names in the receiver's vocabulary (what an endpoint's filter lists): for
    EventBridge its `detail-type` ("Email Bounced") and SES's `eventType` ("Bounce"), which
    EventBridge rules match as `detail.eventType`."""
    if endpoint_format == "resend":
        return (resend_event_type(event.kind),)
    name = ses_event_type(event.step)
    return (DETAIL_TYPES.get(name, name), name) if endpoint_format == "eventbridge" else (name,)


def wants(endpoint: Endpoint, names: tuple[str, ...], mailbox: str) -> bool:
    """Whether the endpoint takes this event (its mailbox and its event filter)."""
    if not endpoint.enabled or (endpoint.mailbox is not None and endpoint.mailbox != mailbox):
        return False
    if not endpoint.events:
        return True
    return any(name in endpoint.events or name.lower() in endpoint.events for name in names)


class Formats:
    """Builds each format's requests, deterministically from the delivery and the event."""

    def __init__(
        self,
        sns_key: Callable[[], SigningKey],
        base_url: Callable[[], str],
        *,
        region: str = DEFAULT_REGION,
        account: str = DEFAULT_ACCOUNT,
        message_json: MessageJSON | None = None,
    ) -> None:
        self._sns_key = sns_key
        self._base_url = base_url
        self.region = region
        self.account = account
        self._message_json = message_json or (lambda message_id: None)
        self._recent: OrderedDict[tuple[int, str], str] = OrderedDict()

    def sns_key(self) -> SigningKey:
        """The key SNS envelopes are signed with (its certificate is served at CERT_PATH)."""
        return self._sns_key()

    def subscription(self, endpoint: Endpoint) -> Subscription:
        return self.subscription_to(f"mailyard-{endpoint.id}", endpoint.id)

    def subscription_to(self, topic: str, subscription_id: str) -> Subscription:
        """A subscription to one of mailyard's topics, its URLs on mailyard's public URL."""
        arn = f"arn:aws:sns:{self.region}:{self.account}:{topic}"
        return Subscription(
            topic_arn=arn,
            subscription_arn=f"{arn}:{subscription_id}",
            signing_cert_url=self.public_url(CERT_PATH),
            service_url=self.public_url(SERVICE_PATH),
        )

    def public_url(self, path: str) -> str:
        """`path` on the URL receivers reach mailyard at."""
        return self._base_url().rstrip("/") + path

    def message_key(self, endpoint: Endpoint, at: float, rng: random.Random) -> str:
        """The id every attempt of one delivery repeats."""
        if endpoint.format in ("resend", "auth"):
            return svix_message_id(at, rng)
        if endpoint.format == "sns":
            return sns_message_id(rng)
        return eventbridge_id(rng)

    def confirmation(self, endpoint: Endpoint, at: float, message_id: str) -> Request:
        """The SubscriptionConfirmation an SNS endpoint gets first (and on each retry)."""
        request = subscription_confirmation(
            self.subscription(endpoint),
            self._sns_key(),
            message_id=message_id,
            token=endpoint.secret,
            at=at,
        )
        return Request(request.body, dict(request.headers))

    def build(
        self,
        endpoint: Endpoint,
        delivery: Delivery,
        event: StoredEvent | None,
        about: AboutLookup,
        signed_at: float,
    ) -> Request:
        """The request of one attempt; `signed_at` is the svix-timestamp (the real time)."""
        if endpoint.format == "mailpit":
            summary = self._message_json(delivery.message_key)
            body = json.dumps(summary or {}, ensure_ascii=False).encode()
            return Request(body, {"content-type": "application/json"})
        if endpoint.format == "auth":
            body = delivery.payload.encode()
            headers = svix_headers(endpoint.secret, delivery.message_key, int(signed_at), body)
            return Request(body, {k.replace("svix-", "webhook-"): v for k, v in headers.items()})
        if event is None:
            raise LookupError("the event or its message is gone")
        if endpoint.format == "resend":
            body = self._rendered(event, "resend", about).encode()
            return Request(
                body, svix_headers(endpoint.secret, delivery.message_key, int(signed_at), body)
            )
        record = self._rendered(event, "ses", about)
        if endpoint.format == "eventbridge":
            wrapped = eventbridge_event(
                {"eventType": ses_event_type(event.step)},
                event_id=delivery.message_key,
                account=self.account,
                region=self.region,
                at=event.due,
            )
            # The record is spliced in as rendered: the same bytes for every endpoint.
            head = json.dumps({k: v for k, v in wrapped.items() if k != "detail"})
            return Request(
                f'{head[:-1]}, "detail": {record}}}'.encode(), {"content-type": "application/json"}
            )
        sent = notification(
            self.subscription(endpoint),
            self._sns_key(),
            ses_message(record),
            message_id=delivery.message_key,
            at=event.due,
            subject=SES_SUBJECT,
        )
        return Request(sent.body, dict(sent.headers))

    def _rendered(self, event: StoredEvent, provider: str, about: AboutLookup) -> str:
        """The event's JSON in `provider`'s shape (`resend`: the webhook body; `ses`: the event
        record), rendered once for all endpoints: rendering is deterministic, and with ten
        endpoints it cost more than everything else of a delivery together (measured)."""
        key = (event.id, provider)
        found = self._recent.get(key)
        if found is not None:
            self._recent.move_to_end(key)
            return found
        message = about(event.message_id)
        if message is None:
            raise LookupError("the event or its message is gone")
        record = render(event, message, provider)
        text = payload_json(record) if provider == "resend" else event_json(record)
        self._recent[key] = text
        if len(self._recent) > RENDERED:
            self._recent.popitem(last=False)
        return text
