"""Resend through the official Python SDK, in process: send, batch, get, errors, idempotent
retries; and the raw wire where the SDK hides it (status codes, headers)."""

from __future__ import annotations

import email
import json
from email import policy
from typing import Any

import httpx
import pytest
from support.emulate import last_message, mailbox_of

from mailyard.web.testing.inprocess import InProcessServer


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_send_and_get(resend_sdk: Any, server: InProcessServer, resend_key: str) -> None:
    sent = resend_sdk.Emails.send(
        {
            "from": "Acme <onboarding@example.com>",
            "to": ["jane@example.com"],
            "cc": "cc@example.com",
            "bcc": ["audit@example.com"],
            "reply_to": "help@example.com",
            "subject": "Your code",
            "html": "<p>123456</p>",
            "text": "123456",
            "headers": {"X-Entity-Ref-ID": "abc"},
            "tags": [{"name": "flow", "value": "login"}],
            "attachments": [
                {"filename": "a.bin", "content": list(b"\x00\x01hi\xff")},  # the Python SDK's bytes
                {"filename": "b.txt", "content": "aGVsbG8="},  # base64, as the Node SDK sends
            ],
        }
    )
    mailbox = mailbox_of(server, resend_key)
    assert resend_key not in mailbox and mailbox.startswith("resend-")
    record, raw = last_message(server, mailbox)
    assert record.envelope.source == "resend"
    assert record.envelope.provider_id == sent["id"]
    assert set(record.envelope.rcpt_to) == {
        "jane@example.com",
        "cc@example.com",
        "audit@example.com",
    }
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed["X-Entity-Ref-ID"] == "abc"
    assert "Bcc" not in parsed
    payloads = {
        p.get_filename(): p.get_payload(decode=True) for p in parsed.walk() if p.get_filename()
    }
    assert payloads == {"a.bin": b"\x00\x01hi\xff", "b.txt": b"hello"}
    got = resend_sdk.Emails.get(sent["id"])
    assert got["object"] == "email" and got["id"] == sent["id"]
    assert got["to"] == ["jane@example.com"] and got["bcc"] == ["audit@example.com"]
    assert got["subject"] == "Your code" and got["html"] == "<p>123456</p>"
    assert got["tags"] == [{"name": "flow", "value": "login"}]
    assert got["last_event"] in ("sent", "delivered")


def test_example_com_recipients_are_accepted(resend_sdk: Any) -> None:
    sent = resend_sdk.Emails.send(
        {"from": "a@example.com", "to": "b@example.com", "subject": "s", "text": "t"}
    )
    assert sent["id"]


def test_errors_in_resends_shape(api: httpx.Client, resend_sdk: Any, resend_key: str) -> None:
    missing_key = api.post("/emails", json={})
    assert missing_key.status_code == 401
    assert missing_key.json() == {
        "statusCode": 401,
        "name": "missing_api_key",
        "message": "Missing API key in the authorization header.",
    }
    invalid_key = api.post("/emails", json={}, headers=bearer("sk_live_nope"))
    assert invalid_key.status_code == 403 and invalid_key.json()["name"] == "invalid_api_key"
    with pytest.raises(resend_sdk.exceptions.MissingRequiredFieldsError) as missing_to:
        resend_sdk.Emails.send({"from": "a@example.com", "subject": "s", "text": "t"})
    assert "`to`" in str(missing_to.value)
    with pytest.raises(resend_sdk.exceptions.ValidationError) as bad_to:
        resend_sdk.Emails.send({"from": "a@example.com", "to": "nope", "subject": "s", "text": "t"})
    assert "Invalid `to` field" in str(bad_to.value)
    with pytest.raises(resend_sdk.exceptions.ResendError) as bad_from:
        resend_sdk.Emails.send({"from": "nope", "to": "b@example.com", "subject": "s", "text": "t"})
    assert bad_from.value.error_type == "invalid_from_address"
    with pytest.raises(resend_sdk.exceptions.ValidationError) as scenario:
        resend_sdk.Emails.send(
            {
                "from": "a@example.com",
                "to": "nonsense@sim.mailyard.test",
                "subject": "s",
                "text": "t",
            }
        )
    assert "unknown mailyard scenario" in str(scenario.value)
    unknown = api.get("/emails/00000000-0000-4000-8000-000000000000", headers=bearer(resend_key))
    assert unknown.status_code == 404 and unknown.json()["name"] == "not_found"
    route = api.get("/emails/a/b/c", headers=bearer(resend_key))
    assert route.status_code == 404 and route.json()["statusCode"] == 404


def test_fail_n_times_is_a_rate_limit_with_headers(api: httpx.Client, resend_key: str) -> None:
    body = {
        "from": "a@example.com",
        "to": "fail-1x-451@sim.mailyard.test",
        "subject": "s",
        "text": "t",
    }
    first = api.post("/emails", json=body, headers=bearer(resend_key))
    assert first.status_code == 429
    assert first.json()["name"] == "rate_limit_exceeded"
    assert first.headers["retry-after"] == "1"
    assert first.headers["ratelimit-remaining"] == "0"
    again = api.post("/emails", json=body, headers=bearer(resend_key))
    assert again.status_code == 200, again.text


def test_idempotency_key(
    resend_sdk: Any, api: httpx.Client, server: InProcessServer, resend_key: str
) -> None:
    params = {"from": "a@example.com", "to": "b@example.com", "subject": "once", "text": "t"}
    first = resend_sdk.Emails.send(params, {"idempotency_key": "order-1"})
    second = resend_sdk.Emails.send(params, {"idempotency_key": "order-1"})
    assert first["id"] == second["id"]
    mailbox = mailbox_of(server, resend_key)
    assert server.services.store.messages.totals(mailbox)[0] == 1  # type: ignore[union-attr]
    with pytest.raises(resend_sdk.exceptions.ResendError) as conflict:
        resend_sdk.Emails.send({**params, "subject": "other"}, {"idempotency_key": "order-1"})
    assert conflict.value.code == 409 and conflict.value.error_type == "invalid_idempotent_request"
    too_long = api.post(
        "/emails", json=params, headers={**bearer(resend_key), "Idempotency-Key": "k" * 257}
    )
    assert too_long.status_code == 400 and too_long.json()["name"] == "invalid_idempotency_key"


def test_batch_strict_and_permissive(
    resend_sdk: Any, api: httpx.Client, server: InProcessServer, resend_key: str
) -> None:
    good = {"from": "a@example.com", "to": "b@example.com", "subject": "s", "text": "t"}
    bad = {"from": "a@example.com", "subject": "s", "text": "t"}
    sent = resend_sdk.Batch.send([good, {**good, "subject": "two"}])
    assert len(sent["data"]) == 2
    strict = api.post("/emails/batch", json=[good, bad], headers=bearer(resend_key))
    assert strict.status_code == 422 and "emails[1]" in strict.json()["message"]
    permissive = api.post(
        "/emails/batch",
        json=[good, bad],
        headers={**bearer(resend_key), "x-batch-validation": "permissive"},
    )
    assert permissive.status_code == 200
    body = permissive.json()
    assert len(body["data"]) == 1 and body["errors"][0]["index"] == 1
    mailbox = mailbox_of(server, resend_key)
    assert server.services.store.messages.totals(mailbox)[0] == 3  # type: ignore[union-attr]


def test_gets_with_a_json_body_are_accepted(api: httpx.Client, resend_key: str) -> None:
    sent = api.post(
        "/emails",
        json={"from": "a@example.com", "to": "b@example.com", "subject": "s", "text": "t"},
        headers=bearer(resend_key),
    ).json()
    got = api.request(
        "GET",
        f"/emails/{sent['id']}",
        content=b"{}",
        headers={**bearer(resend_key), "Content-Type": "application/json"},
    )
    assert got.status_code == 200 and got.json()["id"] == sent["id"]
    other_key = api.get(f"/emails/{sent['id']}", headers=bearer("re_someone_else"))
    assert other_key.status_code == 404  # another key, another mailbox
    assert json.loads(got.text)["text"] == "t"


def test_a_header_given_twice_is_written_once_and_a_non_ascii_address_is_refused_in_words(
    resend_sdk: Any, server: InProcessServer, resend_key: str
) -> None:
    resend_sdk.Emails.send(
        {
            "from": "a@example.com",
            "to": "r@example.com",
            "subject": "orig",
            "text": "x",
            "headers": {"Subject": "override", "From": "Team <team@example.com>"},
        }
    )
    _, raw = last_message(server, mailbox_of(server, resend_key))
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed.get_all("Subject") == ["override"]
    assert parsed.get_all("From") == ["Team <team@example.com>"]
    with pytest.raises(resend_sdk.exceptions.ResendError) as refused:
        resend_sdk.Emails.send(
            {"from": "a@example.com", "to": "jürgen@example.com", "subject": "s", "text": "x"}
        )
    assert "codec" not in str(refused.value) and "7-bit ASCII" in str(refused.value)
