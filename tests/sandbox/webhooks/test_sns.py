"""SNS envelopes signed with mailyard's key, verified by an independent implementation of AWS's
algorithm (`sns_verify`, written from the SNS guide) and by the PyPI `aws-sns-message-validator`
fetching our certificate over HTTP from a server on 127.0.0.1."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType

import pytest
from sns_message_validator import (
    InvalidCertURLException,
    SignatureVerificationFailureException,
    SNSMessageValidator,
)

from mailyard.sandbox.errors import InvalidInputError
from mailyard.sandbox.simulate.outcomes import Bounce, Kind, Step
from mailyard.sandbox.simulate.ses_events import event_json, publishing_event
from mailyard.sandbox.simulate.ses_mail import SESMail
from mailyard.sandbox.webhooks.sns_envelope import (
    SES_SUBJECT,
    Subscription,
    confirmation_token,
    notification,
    ses_message,
    sns_message_id,
    subscription_confirmation,
    unsubscribe_confirmation,
)
from mailyard.sandbox.webhooks.sns_signing import SigningKey, string_to_sign

NOW = 1_767_225_600.0
CERT_URL = "http://127.0.0.1:8025/_sns/SimpleNotificationService-mailyard.pem"
SUB = Subscription(
    topic_arn="arn:aws:sns:us-east-1:123456789012:ses-events",
    subscription_arn="arn:aws:sns:us-east-1:123456789012:ses-events:c9135db0-26c4-47ec-8998-413945fb5a96",
    signing_cert_url=CERT_URL,
    service_url="http://127.0.0.1:8025/_sns/",
)


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey.generate(NOW, serial=random.Random(1).getrandbits(64))


def fetcher(key: SigningKey, calls: list[str]) -> Callable[[str], bytes]:
    def fetch(url: str) -> bytes:
        calls.append(url)
        assert url == CERT_URL
        return key.cert_pem

    return fetch


def ses_bounce() -> str:
    mail = SESMail(
        message_id="0100015f6d84a6e6-6c7dd360-d2e7-46c8-b038-514a6f037e20-000000",
        accepted=NOW,
        source="notifications@example.com",
        source_arn="arn:aws:ses:us-east-1:123456789012:identity/example.com",
        sending_account_id="123456789012",
        destination=("bounce@simulator.amazonses.com",),
        configuration_set="cs1",
    )
    event = publishing_event(
        mail,
        Step(1.0, Kind.BOUNCE, Bounce()),
        list(mail.destination),
        NOW + 1,
        rng=random.Random(4),
    )
    return ses_message(event_json(event))


@pytest.mark.parametrize("version", ["1", "2"])
def test_notification_verifies_with_awss_algorithm(
    key: SigningKey, version: str, sns_verify: ModuleType
) -> None:
    sub = Subscription(**{**SUB.__dict__, "signature_version": version})
    sent = notification(
        sub,
        key,
        ses_bounce(),
        message_id="ace76e28-4a8d-5b11-a516-3c5964f9d54d",
        at=NOW + 2,
        subject=SES_SUBJECT,
    )
    message = json.loads(sent.body)
    assert message == sent.fields
    calls: list[str] = []
    sns_verify.verify(message, fetcher(key, calls), now=NOW, trusted={CERT_URL})
    assert calls == [CERT_URL]
    assert message["SignatureVersion"] == version
    # What SES puts inside: the event JSON as a string, with its trailing newline.
    assert message["Message"].endswith("}\n")
    assert json.loads(message["Message"])["eventType"] == "Bounce"

    for field, value in [
        ("Message", message["Message"].replace("5.1.1", "2.0.0")),
        ("Subject", "Something else"),
        ("Timestamp", "2030-01-01T00:00:00.000Z"),
        ("TopicArn", SUB.topic_arn + "x"),
    ]:
        with pytest.raises(sns_verify.VerificationError, match="does not verify"):
            sns_verify.verify(
                {**message, field: value}, fetcher(key, []), now=NOW, trusted={CERT_URL}
            )


def test_body_layout_headers_and_fields_are_snss(key: SigningKey, sns_verify: ModuleType) -> None:
    sent = notification(SUB, key, "hello\n", message_id="m-1", at=NOW, subject=SES_SUBJECT)
    text = sent.body.decode()
    assert text.startswith('{\n  "Type" : "Notification",\n  "MessageId" : "m-1",\n  "TopicArn" : ')
    assert list(sent.fields) == [
        "Type",
        "MessageId",
        "TopicArn",
        "Subject",
        "Message",
        "Timestamp",
        "SignatureVersion",
        "Signature",
        "SigningCertURL",
        "UnsubscribeURL",
    ]
    assert sent.fields["Timestamp"] == "2026-01-01T00:00:00.000Z"
    assert sent.fields["UnsubscribeURL"] == (
        "http://127.0.0.1:8025/_sns/?Action=Unsubscribe&SubscriptionArn=" + SUB.subscription_arn
    )
    assert sent.headers == {
        "x-amz-sns-message-type": "Notification",
        "x-amz-sns-message-id": "m-1",
        "x-amz-sns-topic-arn": SUB.topic_arn,
        "x-amz-sns-subscription-arn": SUB.subscription_arn,
        "Content-Type": "text/plain; charset=UTF-8",
        "User-Agent": "Amazon Simple Notification Service Agent",
    }
    plain = notification(SUB, key, "x", message_id="m-2", at=NOW)  # feedback: no Subject
    assert "Subject" not in plain.fields
    sns_verify.verify(json.loads(plain.body), fetcher(key, []), now=NOW, trusted={CERT_URL})


def test_signing_is_deterministic_given_the_key_and_inputs(key: SigningKey) -> None:
    def one() -> bytes:
        rng = random.Random(9)
        return notification(SUB, key, "m", message_id=sns_message_id(rng), at=NOW).body

    assert one() == one()


def test_confirmations_verify_and_read_as_the_guide_shows(
    key: SigningKey, sns_verify: ModuleType
) -> None:
    rng = random.Random(5)
    token = confirmation_token(rng)
    assert len(token) == 256 and int(token, 16) >= 0
    sub_msg = subscription_confirmation(
        SUB, key, message_id=sns_message_id(rng), token=token, at=NOW
    )
    fields = json.loads(sub_msg.body)
    assert fields["Message"] == (
        f"You have chosen to subscribe to the topic {SUB.topic_arn}.\n"
        "To confirm the subscription, visit the SubscribeURL included in this message."
    )
    assert fields["SubscribeURL"] == (
        f"http://127.0.0.1:8025/_sns/?Action=ConfirmSubscription&TopicArn={SUB.topic_arn}"
        f"&Token={token}"
    )
    assert "x-amz-sns-subscription-arn" not in sub_msg.headers
    assert sub_msg.headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
    sns_verify.verify(fields, fetcher(key, []), now=NOW, trusted={CERT_URL})

    unsub = unsubscribe_confirmation(SUB, key, message_id=sns_message_id(rng), token=token, at=NOW)
    fields = json.loads(unsub.body)
    assert fields["Type"] == "UnsubscribeConfirmation"
    assert fields["Message"].startswith(
        f"You have chosen to deactivate subscription {SUB.subscription_arn}.\n"
    )
    assert unsub.headers["x-amz-sns-subscription-arn"] == SUB.subscription_arn
    sns_verify.verify(fields, fetcher(key, []), now=NOW, trusted={CERT_URL})


def test_the_oracle_refuses_our_url_unless_trusted_and_never_fetches_first(
    key: SigningKey, sns_verify: ModuleType
) -> None:
    sent = notification(SUB, key, "m", message_id="m", at=NOW)
    calls: list[str] = []
    with pytest.raises(sns_verify.VerificationError, match="not https"):
        sns_verify.verify(sent.fields, fetcher(key, calls), now=NOW)
    for url in [
        "https://sns.us-east-1.amazonaws.com.evil.com/x.pem",
        "https://sns.us-east-1.amazonaws.com/x.txt",
        "https://user@sns.us-east-1.amazonaws.com/x.pem",
    ]:
        with pytest.raises(sns_verify.VerificationError):
            sns_verify.verify({**sent.fields, "SigningCertURL": url}, fetcher(key, calls), now=NOW)
    assert calls == []
    with pytest.raises(sns_verify.VerificationError, match="TopicArn"):
        sns_verify.verify(
            sent.fields,
            fetcher(key, calls),
            now=NOW,
            trusted={CERT_URL},
            topics={"arn:aws:sns:us-east-1:123456789012:other"},
        )


def test_another_key_does_not_verify(key: SigningKey, sns_verify: ModuleType) -> None:
    other = SigningKey.generate(NOW, serial=2)
    forged = notification(SUB, other, "m", message_id="m", at=NOW)
    with pytest.raises(sns_verify.VerificationError, match="does not verify"):
        sns_verify.verify(forged.fields, fetcher(key, []), now=NOW, trusted={CERT_URL})


def test_key_and_certificate_round_trip_through_pem(key: SigningKey) -> None:
    again = SigningKey.from_pem(key.key_pem, key.cert_pem)
    message = {
        "Type": "Notification",
        "MessageId": "1",
        "Message": "m",
        "Timestamp": "t",
        "TopicArn": "a",
    }
    assert again.sign(message, "2") == key.sign(message, "2")
    assert key.cert_pem.startswith(b"-----BEGIN CERTIFICATE-----")
    assert b"PRIVATE KEY" not in key.cert_pem and "PRIVATE" not in repr(key)
    other = SigningKey.generate(NOW, serial=3)
    with pytest.raises(InvalidInputError) as caught:
        SigningKey.from_pem(key.key_pem, other.cert_pem)
    assert caught.value.field == "cert_pem"
    with pytest.raises(InvalidInputError) as version:
        key.sign(message, "3")
    assert version.value.field == "SignatureVersion"


def test_string_to_sign_is_the_documented_one() -> None:
    notification_fields = {
        "Type": "Notification",
        "MessageId": "i",
        "TopicArn": "t",
        "Subject": "s",
        "Message": "m",
        "Timestamp": "ts",
        "Signature": "ignored",
        "UnsubscribeURL": "ignored",
    }
    assert string_to_sign(notification_fields) == (
        "Message\nm\nMessageId\ni\nSubject\ns\nTimestamp\nts\nTopicArn\nt\nType\nNotification\n"
    )
    without = {k: v for k, v in notification_fields.items() if k != "Subject"}
    assert "Subject" not in string_to_sign(without)
    confirmation = {
        "Type": "SubscriptionConfirmation",
        "MessageId": "i",
        "Token": "k",
        "TopicArn": "t",
        "Message": "m",
        "SubscribeURL": "u",
        "Timestamp": "ts",
    }
    assert string_to_sign(confirmation) == (
        "Message\nm\nMessageId\ni\nSubscribeURL\nu\nTimestamp\nts\nToken\nk\nTopicArn\nt\n"
        "Type\nSubscriptionConfirmation\n"
    )
    with pytest.raises(InvalidInputError) as caught:
        string_to_sign({k: v for k, v in confirmation.items() if k != "Token"})
    assert caught.value.field == "Token"


# -- the PyPI validator, fetching our certificate over HTTP ---------------------------------------


@pytest.fixture
def cert_server(key: SigningKey) -> Iterator[str]:
    """A tiny HTTP server on 127.0.0.1 serving the certificate, as mailyard will."""
    pem = key.cert_pem

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/_sns/SimpleNotificationService-mailyard.pem":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/x-pem-file")
            self.send_header("Content-Length", str(len(pem)))
            self.end_headers()
            self.wfile.write(pem)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/_sns/SimpleNotificationService-mailyard.pem"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_aws_sns_message_validator_verifies_our_v1_messages(
    key: SigningKey, cert_server: str
) -> None:
    sub = Subscription(**{**SUB.__dict__, "signing_cert_url": cert_server})
    message = json.loads(
        notification(sub, key, ses_bounce(), message_id="m", at=NOW, subject=SES_SUBJECT).body
    )
    # Trusting mailyard is the receiver's test-only configuration: the URL pattern it accepts.
    trusting = SNSMessageValidator(cert_url_regex=r"^http://127\.0\.0\.1:\d+/_sns/")
    default = SNSMessageValidator()
    try:
        trusting.validate_message(message)
        with pytest.raises(SignatureVerificationFailureException):
            trusting.validate_message({**message, "Message": message["Message"] + " "})
        confirmation = subscription_confirmation(sub, key, message_id="c", token="ab", at=NOW)
        trusting.validate_message(json.loads(confirmation.body))
        # Out of the box it accepts only Amazon's hosts, as it should.
        with pytest.raises(InvalidCertURLException):
            default.validate_message(message)
    finally:
        # The library keeps a requests session it never closes; close it so no socket leaks.
        for validator in (trusting, default):
            validator._cert_session.close()


def test_fan_out_to_subscriptions_of_one_topic_reuses_the_signature(key: SigningKey) -> None:
    other = Subscription(**{**SUB.__dict__, "subscription_arn": SUB.topic_arn + ":second"})
    a = notification(SUB, key, "m", message_id="same", at=NOW)
    b = notification(other, key, "m", message_id="same", at=NOW)
    assert a.fields["Signature"] == b.fields["Signature"]
    assert a.fields["UnsubscribeURL"] != b.fields["UnsubscribeURL"]  # not signed
    for n in range(1100):  # the reuse memory stays bounded
        key.sign(
            {
                "Type": "Notification",
                "MessageId": str(n),
                "Message": "m",
                "Timestamp": "t",
                "TopicArn": "a",
            },
            "2",
        )
    assert len(key._recent) == 1024
