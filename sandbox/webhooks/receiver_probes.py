"""The requests `webhook-check` sends a receiver, one `Probe` per mistake it looks for.

Each probe is built the way the provider builds its deliveries (real payloads from
`resend_events` / `ses_events`, signed by `svix_signing` / `sns_signing`) and then spoilt in one
way. What a correct receiver answers:

| probe | Resend (Svix) | SES via SNS |
|---|---|---|
| valid | 2xx | 2xx |
| duplicate: the same id again (a provider retry) | 2xx | 2xx |
| tampered body | 4xx | 4xx |
| tampered retry: the genuine id and signature, the body changed | 4xx | 4xx |
| wrong secret / wrong key | 4xx | 4xx |
| malformed signature (`v1` without comma / not base64) | 4xx, not 5xx | 4xx, not 5xx |
| stale timestamp (10 min old, fresh id) | 4xx | either (SNS sets no window) |
| future timestamp (10 min ahead) | 4xx | — |
| replay: a processed id, signed 10 min ago | 4xx | not sent: same bytes as duplicate |
| certificate URL not trusted | — | 4xx |
| another topic's message (valid signature) | — | 4xx |
| out of order: a bounce, then its send | 2xx, 2xx | 2xx, 2xx |

Ids and payload values come from the injected `random.Random`, times from `now` (the CLI passes
the real time, since the receiver checks timestamps against its own clock).
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from mailyard.sandbox.simulate.outcomes import Bounce, Delivery, Kind, Step
from mailyard.sandbox.simulate.resend_events import ResendMail, payload_json, resend_event
from mailyard.sandbox.simulate.ses_events import event_json, publishing_event
from mailyard.sandbox.simulate.ses_mail import CommonHeaders, SESMail, ses_message_id
from mailyard.sandbox.webhooks import svix_signing as svix
from mailyard.sandbox.webhooks.sns_envelope import (
    SES_SUBJECT,
    SNSRequest,
    Subscription,
    notification,
    ses_message,
    sns_message_id,
)
from mailyard.sandbox.webhooks.sns_signing import SigningKey

STALE = 600.0  # twice Svix's tolerance: a receiver's clock a little off still decides clearly
SNS_STALE = 2 * 86400.0  # older than any SNS retry policy keeps a message
# A host that resolves nowhere (RFC 2606 `.invalid`), shaped like the classic suffix attack.
UNRESOLVABLE_CERT_URL = (
    "https://sns.us-east-1.amazonaws.com.evil.invalid/SimpleNotificationService-mailyard.pem"
)


class Expect(StrEnum):
    ACCEPT = "accept"  # every request answered 2xx
    REJECT = "reject"  # answered 4xx
    EITHER = "either"  # 4xx passes; 2xx cannot be judged from outside


@dataclass(frozen=True)
class Request:
    body: bytes
    headers: Mapping[str, str]


@dataclass(frozen=True)
class Probe:
    """One thing to try: what is sent, what a correct receiver answers, what to say about it.

    `requests` is empty for a probe that cannot be sent meaningfully (its verdict is unknown and
    `unknown` says why)."""

    name: str
    sent: str
    expect: Expect
    requests: tuple[Request, ...]
    fail: str
    ok: str
    unknown: str = ""


@dataclass(frozen=True)
class SvixTarget:
    """A Resend-format receiver and the `whsec_` secret it was given."""

    secret: str

    def __post_init__(self) -> None:
        svix.secret_key(self.secret)  # InvalidInputError (field `secret`) if it is no secret


@dataclass(frozen=True)
class SNSTarget:
    """An SNS-format receiver, told to trust `subscription.signing_cert_url` (and its topic).

    `decoy_key` signs the wrong-key and untrusted-URL probes. If mailyard also serves the decoy's
    certificate at `decoy_cert_url` (a URL the receiver must not trust), a receiver that fetches
    whatever URL a message names verifies the forgery and is caught; without it the probe
    points at an unresolvable host and only a receiver that verifies nothing is caught.
    """

    key: SigningKey
    subscription: Subscription
    decoy_key: SigningKey
    decoy_cert_url: str | None = None


def svix_probes(target: SvixTarget, now: float, rng: random.Random) -> list[Probe]:
    stamp = int(now)
    other = svix.new_secret(rng.randbytes)

    def mail() -> ResendMail:
        return ResendMail(
            str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            now,
            "Acme <onboarding@resend.dev>",
            ("delivered@resend.dev",),
            "mailyard webhook-check",
        )

    def body(kind: Kind, email: ResendMail | None = None) -> bytes:
        email = email or mail()
        step = Step(0.0, kind, Bounce() if kind is Kind.BOUNCE else None)
        return payload_json(resend_event(email, step, list(email.to), now)).encode()

    def signed(payload: bytes, at: int, msg_id: str | None = None, secret: str = "") -> Request:
        msg_id = msg_id or svix.message_id(now, rng)
        return Request(payload, svix.svix_headers(secret or target.secret, msg_id, at, payload))

    first = signed(body(Kind.DELIVERY), stamp)
    first_id = first.headers["svix-id"]
    tampered = signed(body(Kind.DELIVERY), stamp)
    malformed = signed(body(Kind.DELIVERY), stamp)
    bounced_mail = mail()
    return [
        _valid("email.delivered, fresh timestamp, valid signature", first),
        _duplicate(
            f"the same delivery again, svix-id {first_id} (a Svix retry)",
            signed(first.body, stamp, first_id),
        ),
        _tampered(replace(tampered, body=_spoil(tampered.body))),
        _tampered_retry(
            f"svix-id {first_id} again, its signature kept, the body changed",
            replace(first, body=_spoil(first.body)),
        ),
        Probe(
            "wrong-secret",
            "email.delivered signed with another whsec_ secret",
            Expect.REJECT,
            (signed(body(Kind.DELIVERY), stamp, secret=other),),
            "accepted a signature made with another secret: verify every request with yours",
            "refused a signature made with another secret",
        ),
        Probe(
            "malformed-signature",
            "svix-signature: v1 (no comma, no signature)",
            Expect.REJECT,
            (replace(malformed, headers={**malformed.headers, "svix-signature": "v1"}),),
            "a malformed svix-signature must be refused with 400, never accepted",
            "refused a malformed svix-signature",
        ),
        _stale(
            "email.delivered signed 10 minutes ago, new svix-id",
            signed(body(Kind.DELIVERY), stamp - int(STALE)),
            Expect.REJECT,
        ),
        Probe(
            "future-timestamp",
            "email.delivered dated 10 minutes ahead",
            Expect.REJECT,
            (signed(body(Kind.DELIVERY), stamp + int(STALE)),),
            "accepted a timestamp 10 minutes in the future: refuse beyond ±300 s either way",
            "refused a timestamp from the future",
        ),
        Probe(
            "replay",
            f"svix-id {first_id} (already processed) with a signature 10 minutes old",
            Expect.REJECT,
            (signed(first.body, stamp - int(STALE), first_id),),
            "accepted a captured delivery replayed later: refuse svix-timestamp older than"
            " 300 s, or anyone holding one delivery can replay it",
            "refused a replay outside the timestamp window",
        ),
        _out_of_order(
            "email.bounced for a new email, then its email.sent",
            (
                signed(body(Kind.BOUNCE, bounced_mail), stamp),
                signed(body(Kind.SEND, bounced_mail), stamp),
            ),
        ),
    ]


def sns_probes(target: SNSTarget, now: float, rng: random.Random) -> list[Probe]:
    sub = target.subscription
    decoy_url = target.decoy_cert_url or UNRESOLVABLE_CERT_URL

    def message(kind: Kind, mail: SESMail | None = None) -> str:
        mail = mail or _ses_mail(sub, now, rng)
        detail = Bounce() if kind is Kind.BOUNCE else Delivery() if kind is Kind.DELIVERY else None
        event = publishing_event(
            mail, Step(0.0, kind, detail), list(mail.destination), now, rng=rng
        )
        return ses_message(event_json(event))

    def signed(
        text: str, *, at: float = now, key: SigningKey | None = None, into: Subscription = sub
    ) -> SNSRequest:
        return notification(
            into,
            key or target.key,
            text,
            message_id=sns_message_id(rng),
            at=at,
            subject=SES_SUBJECT,
        )

    first = signed(message(Kind.DELIVERY))
    tampered = signed(message(Kind.DELIVERY))
    fields = _spoil_message(tampered.fields)
    malformed = signed(message(Kind.DELIVERY))
    bad_signature = {**malformed.fields, "Signature": "not base64!"}
    other_topic = replace(
        sub,
        topic_arn=sub.topic_arn + "-other",
        subscription_arn=f"{sub.topic_arn}-other:{sub.subscription_arn.rpartition(':')[2]}",
    )
    bounced_mail = _ses_mail(sub, now, rng)
    return [
        _valid(
            "Notification (SES Delivery), SignatureVersion " + sub.signature_version,
            _request(first),
        ),
        _duplicate(
            f"MessageId {first.message_id} again, byte for byte (an SNS retry)", _request(first)
        ),
        _tampered(_request(tampered, fields)),
        _tampered_retry(
            f"MessageId {first.message_id} again, its Signature kept, the Message changed",
            _request(first, _spoil_message(first.fields)),
        ),
        Probe(
            "wrong-key",
            "a Notification signed with another key, at the trusted cert URL",
            Expect.REJECT,
            (_request(signed(message(Kind.DELIVERY), key=target.decoy_key)),),
            "accepted a signature the trusted certificate does not verify",
            "refused a signature made with another key",
        ),
        Probe(
            "malformed-signature",
            "Signature: not base64!",
            Expect.REJECT,
            (_request(malformed, bad_signature),),
            "a malformed Signature must be refused with 400, never accepted",
            "refused a malformed Signature",
        ),
        Probe(
            "untrusted-cert-url",
            f"a Notification signed by another key, SigningCertURL {decoy_url}",
            Expect.REJECT,
            (
                _request(
                    signed(
                        message(Kind.DELIVERY),
                        key=target.decoy_key,
                        into=replace(sub, signing_cert_url=decoy_url),
                    )
                ),
            ),
            "trusted a certificate from a URL it should not: check SigningCertURL against the"
            " trusted host before fetching anything",
            "refused a certificate URL it does not trust",
        ),
        Probe(
            "other-topic",
            f"a validly signed Notification from topic {other_topic.topic_arn}",
            Expect.REJECT,
            (_request(signed(message(Kind.DELIVERY), into=other_topic)),),
            "accepted a message from a topic it does not expect: compare TopicArn, since anyone"
            " can sign genuine SNS messages for a topic of their own",
            "refused a topic it does not expect",
        ),
        _stale(
            "a Notification signed 2 days ago, new MessageId",
            _request(signed(message(Kind.DELIVERY), at=now - SNS_STALE)),
            Expect.EITHER,
        ),
        Probe(
            "replay",
            "nothing: an SNS replay is byte-identical to the duplicate above",
            Expect.EITHER,
            (),
            "",
            "",
            "SNS signs nothing a receiver must check for freshness; only deduplicating on"
            " MessageId stops a replay being processed twice, and that cannot be seen from"
            " outside",
        ),
        _out_of_order(
            "SES Bounce for a new message, then its Send",
            (
                _request(signed(message(Kind.BOUNCE, bounced_mail))),
                _request(signed(message(Kind.SEND, bounced_mail))),
            ),
        ),
    ]


def _ses_mail(sub: Subscription, now: float, rng: random.Random) -> SESMail:
    parts = sub.topic_arn.split(":")  # arn:aws:sns:<region>:<account>:<topic>
    region, account = (parts[3], parts[4]) if len(parts) > 4 else ("us-east-1", "123456789012")
    message_id = ses_message_id(now, rng)
    headers = (
        ("From", "sender@example.com"),
        ("To", "recipient@example.com"),
        ("Subject", "mailyard webhook-check"),
    )
    return SESMail(
        message_id=message_id,
        accepted=now,
        source="sender@example.com",
        source_arn=f"arn:aws:ses:{region}:{account}:identity/example.com",
        sending_account_id=account,
        destination=("recipient@example.com",),
        headers=headers,
        common_headers=CommonHeaders.from_headers(headers, message_id),
        configuration_set="webhook-check",
    )


def _request(sent: SNSRequest, fields: Mapping[str, str] | None = None) -> Request:
    """The request as sent, or with some fields changed after signing (same layout)."""
    if fields is None:
        return Request(sent.body, sent.headers)
    lines = ",\n".join(
        f"  {json.dumps(k)} : {json.dumps(v, ensure_ascii=False)}" for k, v in fields.items()
    )
    return Request(("{\n" + lines + "\n}").encode(), sent.headers)


def _spoil_message(fields: Mapping[str, str]) -> dict[str, str]:
    """An SNS message's fields with the recipient in `Message` changed after signing."""
    spoilt = dict(fields)
    spoilt["Message"] = spoilt["Message"].replace("recipient@example.com", "attacker@example.com")
    return spoilt


def _spoil(body: bytes) -> bytes:
    """The body with one value changed after signing (still valid JSON)."""
    return body.replace(b"delivered@resend.dev", b"attacker@resend.dev", 1)


def _valid(sent: str, request: Request) -> Probe:
    return Probe(
        "valid",
        sent,
        Expect.ACCEPT,
        (request,),
        "refused a genuine event: check the secret or trusted certificate it was given",
        "accepted a genuine event",
    )


def _duplicate(sent: str, request: Request) -> Probe:
    return Probe(
        "duplicate",
        sent,
        Expect.ACCEPT,
        (request,),
        "refused a retry of an event it already accepted: delivery is at-least-once,"
        " so answer 2xx for a known id and skip the work",
        "answered a retry with 2xx",
    )


def _tampered(request: Request) -> Probe:
    return Probe(
        "tampered-body",
        "a signed event whose body was changed after signing",
        Expect.REJECT,
        (request,),
        "accepted a body its signature does not cover: verify the raw body bytes",
        "refused a tampered body",
    )


def _tampered_retry(sent: str, request: Request) -> Probe:
    # The mistake: looking the id up before verifying (`if seen(id): return 200`, or "verified
    # once, trusted after"). A known id proves nothing; only the signature over these bytes does.
    return Probe(
        "tampered-retry",
        sent,
        Expect.REJECT,
        (request,),
        "accepted a changed body because its id was known: verify the signature of every"
        " request before looking its id up",
        "refused a changed body under a known id",
    )


def _stale(sent: str, request: Request, expect: Expect) -> Probe:
    return Probe(
        "stale-timestamp",
        sent,
        expect,
        (request,),
        "accepted a timestamp far outside the tolerance: refuse anything older than 300 s",
        "refused a stale timestamp",
        "accepted an old message; SNS prescribes no freshness window, so this is a"
        " choice, not a mistake (deduplicate on MessageId)",
    )


def _out_of_order(sent: str, requests: tuple[Request, Request]) -> Probe:
    return Probe(
        "out-of-order",
        sent,
        Expect.ACCEPT,
        requests,
        "refused an event that arrived before its predecessor: providers do not order"
        " deliveries, so accept it and reconcile by the event's own time",
        "accepted events out of order",
    )
