"""The real Python SDKs and the AWS CLI against the real `mailyard serve`, over sockets (issue 12):
boto3 `sesv2` and `ses`, the `resend` SDK, and `aws sesv2` / `aws ses` as a user types them. The
Node SDKs and nodemailer: test_provider_node.py."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from typing import Any

import boto3
import httpx
import pytest
import resend
from support.botocore_shapes import assert_matches_output_shape
from support.servers import Process

SIMPLE = {"Simple": {"Subject": {"Data": "Your code"}, "Body": {"Text": {"Data": "123456"}}}}


@pytest.fixture
def akid() -> str:
    return "AKIAE2E" + uuid.uuid4().hex[:12].upper()


def aws(service: str, server: Process, akid: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=server.url,
        region_name="eu-west-1",
        aws_access_key_id=akid,
        aws_secret_access_key="any",
    )


def newest(api: httpx.Client, mailbox: str) -> dict[str, Any]:
    listed = api.get("/api/v1/messages", params={"mailbox": mailbox, "limit": 1}).json()
    assert listed["messages"], f"nothing in {mailbox}"
    return dict(listed["messages"][0])


def events(api: httpx.Client, message_id: str, count: int) -> list[dict[str, Any]]:
    """The message's events once `count` of them have happened (a bounded long poll)."""
    found: list[dict[str, Any]] = []
    after = 0
    for _ in range(10):
        answer = api.get(
            "/api/v1/events", params={"message": message_id, "after": after, "wait": 2}
        ).json()
        found += answer["events"]
        after = answer["cursor"]
        if len(found) >= count:
            break
    return found


def test_boto3_sesv2_over_the_wire(server: Process, api: httpx.Client, akid: str) -> None:
    sesv2 = aws("sesv2", server, akid)
    sent = sesv2.send_email(
        FromEmailAddress="Acme <noreply@example.com>",
        Destination={"ToAddresses": ["bounce+e2e@simulator.amazonses.com"]},
        Content=SIMPLE,
        EmailTags=[{"Name": "flow", "Value": "e2e"}],
    )
    assert sent["MessageId"].startswith("0102")  # eu-west-1's prefix
    message = newest(api, akid)
    assert message["Subject"] == "Your code"
    found = events(api, message["ID"], 2)
    assert [e["payload"]["eventType"] for e in found] == ["Send", "Bounce"], found
    assert {e["providerMessageId"] for e in found} == {sent["MessageId"]}
    raw = api.get(f"/api/v1/message/{message['ID']}/raw").text
    assert f"Message-ID: <{sent['MessageId']}@eu-west-1.amazonses.com>" in raw
    account = httpx.get(
        f"{server.url}/v2/email/account",
        headers={
            "Authorization": f"AWS4-HMAC-SHA256 Credential={akid}/20260101/eu-west-1/ses/"
            "aws4_request, SignedHeaders=host, Signature=" + "a" * 64
        },
    )
    assert_matches_output_shape("sesv2", "GetAccount", account.json())
    with pytest.raises(sesv2.exceptions.NotFoundException):
        sesv2.get_email_identity(EmailIdentity="nobody.example")


def test_boto3_ses_v1_over_the_wire(server: Process, api: httpx.Client, akid: str) -> None:
    ses = aws("ses", server, akid)
    sent = ses.send_raw_email(
        RawMessage={
            "Data": b"From: a@example.com\r\nTo: b@example.com\r\nSubject: raw e2e\r\n\r\nhi\r\n"
        }
    )
    assert newest(api, akid)["Subject"] == "raw e2e"
    assert sent["ResponseMetadata"]["RequestId"]
    assert ses.get_send_quota()["Max24HourSend"] == -1.0
    with pytest.raises(ses.exceptions.MessageRejected):
        ses.send_email(
            Source="a@example.com",
            Destination={"ToAddresses": ["x@sim.mailyard.test"]},
            Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}},
        )
    assert api.get("/").headers["content-type"].startswith("text/html")


def test_resend_python_sdk_over_the_wire(
    server: Process, api: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(resend, "api_key", "re_e2e_" + uuid.uuid4().hex)
    monkeypatch.setattr(resend, "api_url", server.url)
    params = {
        "from": "Acme <onboarding@example.com>",
        "to": ["complained@resend.dev"],
        "subject": "resend e2e",
        "html": "<p>hi</p>",
        "tags": [{"name": "flow", "value": "e2e"}],
    }
    first = resend.Emails.send(params, {"idempotency_key": "e2e-1"})
    again = resend.Emails.send(params, {"idempotency_key": "e2e-1"})
    assert first["id"] == again["id"]
    batch = resend.Batch.send([{**params, "to": ["delivered@resend.dev"]}] * 2)
    assert len(batch["data"]) == 2
    got = resend.Emails.get(first["id"])
    assert got["subject"] == "resend e2e" and got["tags"] == [{"name": "flow", "value": "e2e"}]
    with pytest.raises(resend.exceptions.ValidationError):
        resend.Emails.send({**params, "to": ["not an address"]})
    monkeypatch.setattr(resend, "api_key", "sk_nope")
    with pytest.raises(resend.exceptions.InvalidApiKeyError):
        resend.Emails.send(params)


def _cli() -> str:
    found = shutil.which("aws")
    assert found, "the AWS CLI is needed: pip install awscli (v1) or Debian's awscli"
    return found


def _run_cli(server: Process, akid: str, *args: str) -> Any:
    result = subprocess.run(
        [_cli(), "--endpoint-url", server.url, "--output", "json", *args],
        env={
            **os.environ,
            "AWS_ACCESS_KEY_ID": akid,
            "AWS_SECRET_ACCESS_KEY": "any",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else None


def test_aws_cli(server: Process, api: httpx.Client, akid: str) -> None:
    _run_cli(server, akid, "sesv2", "create-email-identity", "--email-identity", "example.com")
    listed = _run_cli(server, akid, "sesv2", "list-email-identities")  # the GET form
    assert [i["IdentityName"] for i in listed["EmailIdentities"]] == ["example.com"]
    sent = _run_cli(
        server,
        akid,
        "sesv2",
        "send-email",
        "--from-email-address",
        "noreply@example.com",
        "--destination",
        "ToAddresses=jane@example.com",
        "--content",
        json.dumps(SIMPLE),
    )
    assert sent["MessageId"]
    v1 = _run_cli(
        server,
        akid,
        "ses",
        "send-email",
        "--from",
        "a@example.com",
        "--to",
        "b@example.com",
        "--subject",
        "cli v1",
        "--text",
        "hello",
    )
    assert v1["MessageId"]
    assert newest(api, akid)["Subject"] == "cli v1"
    quota = _run_cli(server, akid, "ses", "get-send-quota")
    assert quota["Max24HourSend"] == -1.0
