"""The emulators' settings: `--ses-sandbox`, `--sigv4 strict`, the SES and Resend limits, and
`--ui-auth-file` (Basic auth for the inbox, not for the SDKs, which bring their own)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import botocore.endpoint
import httpx
import pytest
from botocore.exceptions import ClientError
from support.emulate import aws_client, mailbox_of
from support.servers import start_inprocess

from mailyard.web.testing.inprocess import InProcessServer

KEYS = {f"AKIDSETTINGS{i}": f"secret{i}" for i in range(8)}
BASIC = {"Authorization": "Basic " + base64.b64encode(b"ann:pw").decode()}
SIMPLE = {"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}}}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    tmp = tmp_path_factory.mktemp("settings")
    (tmp / "aws").write_text("".join(f"{k}:{v}\n" for k, v in KEYS.items()))
    (tmp / "ui").write_text("ann:pw\n")
    srv = start_inprocess(
        tmp,
        "--clock-control",
        "--ses-sandbox",
        "--ui-auth-file",
        str(tmp / "ui"),
        "--ses-max-send-rate",
        "1",
        "--ses-max-24-hour-send",
        "3",
        "--resend-rate-limit",
        "2",
    )
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    """Strict signatures (checked against the real clock: SigV4 allows 15 minutes of skew)."""
    tmp = tmp_path_factory.mktemp("strict")
    (tmp / "aws").write_text("".join(f"{k}:{v}\n" for k, v in KEYS.items()))
    srv = start_inprocess(tmp, "--sigv4", "strict", "--sigv4-credentials-file", str(tmp / "aws"))
    yield srv
    srv.stop()


def client(api: httpx.Client, number: int, secret: str | None = None) -> Any:
    akid = f"AKIDSETTINGS{number}"
    return aws_client("sesv2", api, akid, secret=secret or KEYS[akid])


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore retries throttled calls: skip its waits (the retries themselves still happen)."""
    monkeypatch.setattr(botocore.endpoint.time, "sleep", lambda seconds: None)


def tick(api: httpx.Client) -> None:
    """Let the send-rate bucket refill."""
    assert api.post("/api/v1/clock/advance", json={"seconds": 2}, headers=BASIC).status_code == 200


def test_sandbox_mode_sends_only_between_verified_identities(api: httpx.Client) -> None:
    sesv2 = client(api, 0)
    with pytest.raises(sesv2.exceptions.MessageRejected) as unverified:
        sesv2.send_email(
            FromEmailAddress="Acme <noreply@example.com>",
            Destination={"ToAddresses": ["jane@example.org"]},
            Content=SIMPLE,
        )
    assert unverified.value.response["Error"]["Message"] == (
        "Email address is not verified. The following identities failed the check in region "
        "US-EAST-1: Acme <noreply@example.com>, jane@example.org"
    )
    sesv2.create_email_identity(EmailIdentity="example.com")
    with pytest.raises(sesv2.exceptions.MessageRejected) as recipient:
        sesv2.send_email(
            FromEmailAddress="noreply@example.com",
            Destination={"ToAddresses": ["jane@example.org"]},
            Content=SIMPLE,
        )
    assert recipient.value.response["Error"]["Message"].endswith(": jane@example.org")
    sesv2.send_email(
        FromEmailAddress="noreply@example.com",
        Destination={"ToAddresses": ["success@simulator.amazonses.com"]},
        Content=SIMPLE,
    )
    sesv2.create_email_identity(EmailIdentity="jane@example.org")
    tick(api)  # one recipient per second (--ses-max-send-rate 1)
    sesv2.send_email(
        FromEmailAddress="noreply@example.com",
        Destination={"ToAddresses": ["jane@example.org"]},
        Content=SIMPLE,
    )
    assert sesv2.get_account()["ProductionAccessEnabled"] is False


def test_strict_signatures(strict: InProcessServer) -> None:
    with strict.api() as api:
        _strict_signatures(api)


def _strict_signatures(api: httpx.Client) -> None:
    wrong = client(api, 1, secret="not-the-secret")
    with pytest.raises(ClientError) as mismatch:
        wrong.get_account()
    assert mismatch.value.response["Error"]["Code"] == "InvalidSignatureException"
    stranger = aws_client("sesv2", api, "AKIDNOBODY")
    with pytest.raises(ClientError) as unknown:
        stranger.get_account()
    assert unknown.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert client(api, 1).get_account()["SendingEnabled"] is True


def test_basic_auth_guards_the_inbox_not_the_sdks(api: httpx.Client) -> None:
    assert api.get("/api/v1/messages").status_code == 401
    assert api.get("/store").status_code == 401
    assert api.get("/store", headers=BASIC).status_code == 200
    assert client(api, 2).get_account()["SendQuota"]["MaxSendRate"] == 1.0
    sent = api.post(
        "/emails",
        json={"from": "a@example.com", "to": "b@example.com", "subject": "s", "text": "t"},
        headers={"Authorization": "Bearer re_settings"},
    )
    assert sent.status_code == 200, sent.text


def test_ses_send_rate_and_daily_quota(api: httpx.Client) -> None:
    sesv2 = client(api, 3)
    sesv2.create_email_identity(EmailIdentity="example.com")
    send = {"FromEmailAddress": "a@example.com", "Content": SIMPLE}
    sesv2.send_email(Destination={"ToAddresses": ["a@example.com"]}, **send)
    with pytest.raises(sesv2.exceptions.TooManyRequestsException) as rate:
        sesv2.send_email(Destination={"ToAddresses": ["a@example.com"]}, **send)
    assert rate.value.response["ResponseMetadata"]["RetryAttempts"] == 4
    for _ in range(2):
        tick(api)
        sesv2.send_email(Destination={"ToAddresses": ["a@example.com"]}, **send)
    tick(api)
    with pytest.raises(sesv2.exceptions.LimitExceededException) as quota:
        sesv2.send_email(Destination={"ToAddresses": ["a@example.com"]}, **send)
    assert quota.value.response["Error"]["Message"] == "Daily message quota exceeded."
    # the mailbox simulator counts toward the rate, not the quota
    tick(api)
    sesv2.send_email(Destination={"ToAddresses": ["success@simulator.amazonses.com"]}, **send)
    assert sesv2.get_account()["SendQuota"]["SentLast24Hours"] == 3.0


def test_resend_rate_limit_headers(api: httpx.Client, server: InProcessServer) -> None:
    headers = {"Authorization": "Bearer re_rate"}
    body = {"from": "a@example.com", "to": "b@example.com", "subject": "s", "text": "t"}
    first = api.post("/emails", json=body, headers=headers)
    assert first.status_code == 200
    assert first.headers["ratelimit-limit"] == "2"
    assert first.headers["ratelimit-remaining"] == "1"
    api.post("/emails", json=body, headers=headers)
    third = api.post("/emails", json=body, headers=headers)
    assert third.status_code == 429
    assert third.json()["name"] == "rate_limit_exceeded"
    assert third.json()["message"] == "Too many requests. You can only make 2 requests per second."
    assert third.headers["retry-after"] == "1"
    assert mailbox_of(server, "re_rate").startswith("resend-")
