"""The HTTP requests SNS makes to a subscribed endpoint, signed (providers.md C5, SNS guide).

    POST / HTTP/1.1
    x-amz-sns-message-type: Notification
    x-amz-sns-message-id: 22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324
    x-amz-sns-topic-arn: arn:aws:sns:us-east-1:123456789012:ses-events
    x-amz-sns-subscription-arn: arn:aws:sns:us-east-1:123456789012:ses-events:c9135db0-...
    Content-Type: text/plain; charset=UTF-8
    User-Agent: Amazon Simple Notification Service Agent

(no subscription ARN header on a SubscriptionConfirmation). The body is JSON laid out as SNS
lays it out (`{\\n  "Type" : "Notification",\\n  ...}`), keys in SNS's order. A Notification
from SES event publishing has `Subject` "Amazon SES Email Event Notification" and `Message` =
the event JSON as a string with SES's trailing newline (`ses_message`); feedback notifications
have no Subject. `SubscriptionConfirmation` comes first, with a `SubscribeURL` the receiver
visits (or a `Token` it passes to ConfirmSubscription); `UnsubscribeConfirmation` when a
subscription ends. A retry resends the same MessageId.

`SubscribeURL`/`UnsubscribeURL` are built on `Subscription.service_url`, mailyard's stand-in for
`https://sns.<region>.amazonaws.com/` (`?Action=ConfirmSubscription&TopicArn=…&Token=…`, ARNs
unescaped as SNS writes them).
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass

from mailyard.sandbox.simulate.stamps import iso_ms
from mailyard.sandbox.webhooks.sns_signing import SigningKey

SES_SUBJECT = "Amazon SES Email Event Notification"
USER_AGENT = "Amazon Simple Notification Service Agent"
CONTENT_TYPE = "text/plain; charset=UTF-8"


@dataclass(frozen=True)
class Subscription:
    """One HTTP(S) subscription to a topic, as SNS would hold it."""

    topic_arn: str
    subscription_arn: str
    signing_cert_url: str
    service_url: str
    signature_version: str = "1"  # SNS's default; a topic may set 2 (SHA256withRSA)

    @property
    def unsubscribe_url(self) -> str:
        return f"{self.service_url}?Action=Unsubscribe&SubscriptionArn={self.subscription_arn}"

    def subscribe_url(self, token: str) -> str:
        query = f"?Action=ConfirmSubscription&TopicArn={self.topic_arn}&Token={token}"
        return self.service_url + query


@dataclass(frozen=True)
class SNSRequest:
    """One POST to the endpoint: its exact body, its headers and the fields it carries."""

    body: bytes
    headers: dict[str, str]
    fields: dict[str, str]

    @property
    def message_id(self) -> str:
        return self.fields["MessageId"]


def ses_message(event_json: str) -> str:
    """SES's event JSON as SNS's `Message`: SES ends it with a newline."""
    return event_json + "\n"


def sns_message_id(rng: random.Random) -> str:
    """An SNS MessageId (a UUID)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def confirmation_token(rng: random.Random) -> str:
    """A subscription `Token`: a long opaque hex string, as SNS's are."""
    return f"{rng.getrandbits(1024):0256x}"


def notification(
    sub: Subscription,
    key: SigningKey,
    message: str,
    *,
    message_id: str,
    at: float,
    subject: str | None = None,
) -> SNSRequest:
    """A `Notification` carrying `message` (for SES: `ses_message(event_json(...))`)."""
    fields = {
        "Type": "Notification",
        "MessageId": message_id,
        "TopicArn": sub.topic_arn,
        **({"Subject": subject} if subject is not None else {}),
        "Message": message,
        "Timestamp": iso_ms(at),
    }
    signed = _sign(sub, key, fields)
    signed["UnsubscribeURL"] = sub.unsubscribe_url
    return _request(sub, signed, with_subscription=True)


def subscription_confirmation(
    sub: Subscription, key: SigningKey, *, message_id: str, token: str, at: float
) -> SNSRequest:
    """The first request an endpoint gets: visit `SubscribeURL` to confirm."""
    text = (
        f"You have chosen to subscribe to the topic {sub.topic_arn}.\n"
        "To confirm the subscription, visit the SubscribeURL included in this message."
    )
    return _confirmation(sub, key, "SubscriptionConfirmation", text, message_id, token, at)


def unsubscribe_confirmation(
    sub: Subscription, key: SigningKey, *, message_id: str, token: str, at: float
) -> SNSRequest:
    """Sent once the subscription is deleted; `SubscribeURL` restores it."""
    text = (
        f"You have chosen to deactivate subscription {sub.subscription_arn}.\n"
        "To cancel this operation and restore the subscription, visit the SubscribeURL"
        " included in this message."
    )
    return _confirmation(sub, key, "UnsubscribeConfirmation", text, message_id, token, at)


def _confirmation(
    sub: Subscription,
    key: SigningKey,
    kind: str,
    text: str,
    message_id: str,
    token: str,
    at: float,
) -> SNSRequest:
    fields = {
        "Type": kind,
        "MessageId": message_id,
        "Token": token,
        "TopicArn": sub.topic_arn,
        "Message": text,
        "SubscribeURL": sub.subscribe_url(token),
        "Timestamp": iso_ms(at),
    }
    first = kind == "SubscriptionConfirmation"  # no subscription ARN header before confirming
    return _request(sub, _sign(sub, key, fields), with_subscription=not first)


def _sign(sub: Subscription, key: SigningKey, fields: dict[str, str]) -> dict[str, str]:
    return {
        **fields,
        "SignatureVersion": sub.signature_version,
        "Signature": key.sign(fields, sub.signature_version),
        "SigningCertURL": sub.signing_cert_url,
    }


def _request(sub: Subscription, fields: dict[str, str], *, with_subscription: bool) -> SNSRequest:
    lines = ",\n".join(
        f"  {json.dumps(name)} : {json.dumps(value, ensure_ascii=False)}"
        for name, value in fields.items()
    )
    headers = {
        "x-amz-sns-message-type": fields["Type"],
        "x-amz-sns-message-id": fields["MessageId"],
        "x-amz-sns-topic-arn": sub.topic_arn,
    }
    if with_subscription:
        headers["x-amz-sns-subscription-arn"] = sub.subscription_arn
    headers["Content-Type"] = CONTENT_TYPE
    headers["User-Agent"] = USER_AGENT
    return SNSRequest(("{\n" + lines + "\n}").encode(), headers, fields)
