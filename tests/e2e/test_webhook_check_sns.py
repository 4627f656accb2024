"""`mailyard webhook-check URL --format sns` against the real `mailyard serve` process, whose SNS
key signs the probes, and sample receivers (real HTTP servers on 127.0.0.1) each making one
mistake, and a correct one built on the PyPI `aws-sns-message-validator`, which fetches
mailyard's certificate over HTTP and trusts exactly that one URL.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result
from sns_message_validator import SNSMessageValidator
from support.receivers import Handler, Received, Receiver
from support.servers import Process

from mailyard.web.cli import main

TOPIC = "arn:aws:sns:us-east-1:123456789012:mailyard-webhook-check"
ALL_PASS = {
    "valid": "pass",
    "duplicate": "pass",
    "tampered-body": "pass",
    "tampered-retry": "pass",
    "wrong-key": "pass",
    "malformed-signature": "pass",
    "untrusted-cert-url": "pass",
    "other-topic": "pass",
    "stale-timestamp": "unknown",  # SNS sets no freshness window: not judged
    "replay": "unknown",  # a replay is the duplicate, byte for byte
    "out-of-order": "pass",
}


def _oracle() -> ModuleType:
    """The independent verifier written from the SNS guide (tests/sandbox/webhooks/)."""
    path = Path(__file__).resolve().parents[1] / "sandbox" / "webhooks" / "sns_verify.py"
    spec = importlib.util.spec_from_file_location("mailyard_e2e_sns_verify", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cert_url(server: Process) -> str:
    return f"{server.url}/_sns/SimpleNotificationService-mailyard.pem"


def check(server: Process, url: str, *extra: str) -> tuple[Result, dict[str, Any]]:
    result = CliRunner().invoke(
        main,
        ["webhook-check", url, "--format", "sns", "--server", server.url, "--json", *extra],
    )
    report = json.loads(result.stdout) if result.exit_code in (0, 1) else {}
    return result, report


def verdicts(report: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["verdict"] for c in report["checks"]}


# -- the receivers ---------------------------------------------------------------------------------


class Verifier:
    """aws-sns-message-validator, trusting the certificate URLs matching `trust`."""

    def __init__(self, trust: str) -> None:
        self.validator = SNSMessageValidator(cert_url_regex=trust)
        self.lock = threading.Lock()  # its requests_cache session is not thread-safe

    def holds(self, message: dict[str, str]) -> bool:
        with self.lock:
            try:
                self.validator.validate_message(message)
            except Exception:
                return False
        return True


def exactly(url: str) -> str:
    return "^" + re.escape(url) + "$"


def receiver(
    verify: Callable[[dict[str, str]], bool],
    *,
    topic: str | None = TOPIC,
    dedupe: bool = True,
    order: bool = False,
) -> Handler:
    """A receiver: parse, verify, check the topic, then the app (idempotent on MessageId)."""
    db = sqlite3.connect(":memory:", check_same_thread=False)
    db.execute("CREATE TABLE events (message_id TEXT PRIMARY KEY)")
    sent: set[str] = set()
    lock = threading.Lock()

    def handle(r: Received) -> int:
        try:
            message = r.json()
        except ValueError:
            return 400
        if not verify(message) or (topic is not None and message.get("TopicArn") != topic):
            return 400
        event = json.loads(message["Message"])
        with lock:
            if order:  # refuses a bounce whose Send it has not seen
                if event["eventType"] == "Send":
                    sent.add(event["mail"]["messageId"])
                elif event["eventType"] == "Bounce" and event["mail"]["messageId"] not in sent:
                    return 422
            if (
                dedupe
                and db.execute(
                    "SELECT 1 FROM events WHERE message_id = ?", (message["MessageId"],)
                ).fetchone()
            ):
                return 200
            try:
                db.execute("INSERT INTO events VALUES (?)", (message["MessageId"],))
            except sqlite3.IntegrityError:
                return 500  # a retry without deduplication breaks the unique insert
        return 200

    return handle


def verifies_once_per_id(verifier: Verifier) -> Handler:
    """Verifies a MessageId the first time and trusts it after."""
    trusted: set[str] = set()

    def verify(message: dict[str, str]) -> bool:
        if message.get("MessageId") in trusted:
            return True
        if verifier.holds(message):
            trusted.add(message["MessageId"])
            return True
        return False

    return receiver(verify)


def lets_the_library_error_escape(trust: str) -> Handler:
    """Catches the library's own exceptions only: a Signature that is not base64 makes
    `base64.b64decode` raise inside it, and the framework answers 500."""
    from sns_message_validator import (
        InvalidCertURLException,
        InvalidMessageTypeException,
        InvalidSignatureVersionException,
        SignatureVerificationFailureException,
    )

    validator = SNSMessageValidator(cert_url_regex=trust)
    known = (
        InvalidCertURLException,
        InvalidMessageTypeException,
        InvalidSignatureVersionException,
        SignatureVerificationFailureException,
    )

    def handle(r: Received) -> int:
        message = r.json()
        try:
            validator.validate_message(message)
        except known:
            return 400
        except Exception:
            return 500
        return 200 if message["TopicArn"] == TOPIC else 400

    return handle


# -- the verdicts ----------------------------------------------------------------------------------


def test_the_correct_receiver_passes(server: Process) -> None:
    with Receiver(handler=receiver(Verifier(exactly(cert_url(server))).holds)) as hook:
        result, report = check(server, hook.url)
    assert result.exit_code == 0, result.output
    assert verdicts(report) == ALL_PASS
    # The genuine Notification named mailyard's certificate, which the validator fetched.
    first = hook.requests[0].json()
    assert first["SigningCertURL"] == cert_url(server) and first["TopicArn"] == TOPIC


@pytest.mark.parametrize(
    ("build", "flagged"),
    [
        pytest.param(
            lambda trust: receiver(lambda m: m.get("SigningCertURL", "") == trust),
            {"tampered-body", "tampered-retry", "wrong-key", "malformed-signature"},
            id="accepts-any-signature",
        ),
        pytest.param(
            lambda trust: receiver(Verifier(r"^https?://").holds),
            {"untrusted-cert-url"},
            id="fetches-any-cert-url",
        ),
        pytest.param(
            lambda trust: receiver(Verifier(exactly(trust)).holds, topic=None),
            {"other-topic"},
            id="ignores-the-topic",
        ),
        pytest.param(
            lambda trust: receiver(Verifier(exactly(trust)).holds, dedupe=False),
            {"duplicate"},
            id="no-idempotency",
        ),
        pytest.param(
            lambda trust: verifies_once_per_id(Verifier(exactly(trust))),
            {"tampered-retry"},
            id="accepts-tampered-body",
        ),
        pytest.param(
            lambda trust: receiver(Verifier(exactly(trust)).holds, order=True),
            {"out-of-order"},
            id="trusts-order",
        ),
        pytest.param(
            lambda trust: lets_the_library_error_escape(exactly(trust)),
            {"malformed-signature"},
            id="500-on-forgery",
        ),
    ],
)
def test_each_mistake_is_flagged_and_nothing_else(
    server: Process, build: Callable[[str], Handler], flagged: set[str]
) -> None:
    with Receiver(handler=build(cert_url(server))) as hook:
        result, report = check(server, hook.url)
    assert result.exit_code == 1, result.output
    assert verdicts(report) == {**ALL_PASS, **dict.fromkeys(flagged, "fail")}


def test_trusting_all_of_mailyards_origin_is_flagged(server: Process) -> None:
    """mailyard's origin also serves captured attachments, which anyone who sends it mail
    chooses: a receiver must trust its certificate URL, not every URL on its host."""
    origin = "^" + re.escape(server.url + "/")
    with Receiver(handler=receiver(Verifier(origin).holds)) as hook:
        _, report = check(server, hook.url)
    untrusted = next(c for c in report["checks"] if c["name"] == "untrusted-cert-url")
    assert untrusted["verdict"] == "fail" and "/_webhook-check/decoy.pem" in untrusted["sent"]


def test_signature_version_2_is_verified_by_the_guides_algorithm(server: Process) -> None:
    oracle = _oracle()
    trusted = cert_url(server)

    def verify(message: dict[str, str]) -> bool:
        try:
            oracle.verify(
                message,
                lambda url: httpx.get(url, timeout=10).content,
                now=time.time(),
                trusted={trusted},
            )
        except (oracle.VerificationError, KeyError, ValueError):
            return False
        return message["SignatureVersion"] == "2"

    with Receiver(handler=receiver(verify)) as hook:
        result, report = check(server, hook.url, "--signature-version", "2")
    assert result.exit_code == 0, result.output
    assert verdicts(report) == ALL_PASS


def test_the_topic_defaults_to_the_registered_sns_webhooks(server: Process) -> None:
    with server.api() as api, Receiver() as hook:
        made = api.post("/api/v1/webhooks", json={"url": hook.url, "format": "sns"}).json()
        (confirmation,) = hook.wait(1)  # the SubscriptionConfirmation of the new endpoint
        topic = confirmation.json()["TopicArn"]
        assert topic.endswith(f":mailyard-{made['id']}")
        hook.handler = receiver(Verifier(exactly(cert_url(server))).holds, topic=topic)
        result, report = check(server, hook.url)
        api.delete(f"/api/v1/webhooks/{made['id']}")
    assert result.exit_code == 0, result.output
    assert verdicts(report) == ALL_PASS


def test_the_server_refuses_a_bad_topic_plainly(server: Process) -> None:
    result = CliRunner().invoke(
        main,
        [
            "webhook-check",
            "http://127.0.0.1:9/sns",
            "--format",
            "sns",
            "--server",
            server.url,
            "--topic-arn",
            "ses-events",
        ],
    )
    assert result.exit_code == 2
    assert "refused the check: topicArn must be an SNS topic ARN" in result.output
