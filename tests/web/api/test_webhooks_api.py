"""The webhooks API in process: endpoints registered, listed and removed, deliveries and their
attempts, retries on a compressed schedule, and `POST /api/v1/webhooks/check` (the receiver
check the CLI's SNS format runs on the server). Mail goes in over SMTP; receivers are real HTTP
servers on 127.0.0.1, verified with the official `svix` library and the SNS guide's algorithm."""

from __future__ import annotations

import importlib.util
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import svix
from support.mail import make_message, send
from support.receivers import Received, Receiver, wait_for
from support.servers import start_inprocess

from mailyard.web.testing.inprocess import InProcessServer


@pytest.fixture(scope="module")
def hooks_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    srv = start_inprocess(tmp_path_factory.mktemp("webhooks"), "--webhook-retry-scale", "0.001")
    yield srv
    srv.stop()


@pytest.fixture
def client(hooks_server: InProcessServer) -> Iterator[httpx.Client]:
    with hooks_server.api() as api:
        yield api


def _oracle() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "sandbox" / "webhooks" / "sns_verify.py"
    spec = importlib.util.spec_from_file_location("mailyard_api_sns_verify", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- endpoints -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://x.example/hook", "format": "resend"}, "url"),
        ({"url": "http://127.0.0.1:9/hook", "format": "mailgun"}, "format"),
        ({"url": "http://127.0.0.1:9/hook", "format": "sns", "secret": "whsec_AAAA"}, "secret"),
        ({"url": "http://127.0.0.1:9/hook", "format": "resend", "secret": "s3cret"}, "secret"),
        ({"url": "http://127.0.0.1:99999/hook", "format": "resend"}, "url"),
        ({"url": "http://127.0.0.1:9/hook", "format": "resend", "mailbox": 7}, "mailbox"),
    ],
)
def test_registration_refuses_what_cannot_work(
    client: httpx.Client, body: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/webhooks", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"] == field


def test_an_endpoint_is_listed_with_its_secret_and_removed(client: httpx.Client) -> None:
    made = client.post(
        "/api/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "format": "resend", "events": ["email.bounced"]},
    ).json()
    assert made["secret"].startswith("whsec_") and made["events"] == ["email.bounced"]
    listed = client.get("/api/v1/webhooks").json()["webhooks"]
    assert [w for w in listed if w["id"] == made["id"]] == [made]
    assert client.get(f"/api/v1/webhooks/{made['id']}/deliveries").json() == {"deliveries": []}
    assert client.delete(f"/api/v1/webhooks/{made['id']}").json() == {"removed": True}
    assert client.delete(f"/api/v1/webhooks/{made['id']}").status_code == 404
    assert client.get(f"/api/v1/webhooks/{made['id']}/deliveries").status_code == 404
    assert client.post("/api/v1/webhooks/deliveries/abc/redeliver").status_code == 404


def test_a_failing_endpoint_is_retried_on_the_compressed_schedule(
    hooks_server: InProcessServer, client: httpx.Client, mailbox: str
) -> None:
    with Receiver(answers=[500, 502]) as hook:
        made = client.post(
            "/api/v1/webhooks",
            json={"url": hook.url, "format": "resend", "mailbox": mailbox},
        ).json()
        send(hooks_server, make_message(to="delivered+retry@resend.dev"), mailbox)

        def settled() -> bool:
            found = client.get(f"/api/v1/webhooks/{made['id']}/deliveries").json()["deliveries"]
            return len(found) == 2 and all(d["status"] == "succeeded" for d in found)

        wait_for(settled)
        found = client.get(f"/api/v1/webhooks/{made['id']}/deliveries").json()["deliveries"]
        client.delete(f"/api/v1/webhooks/{made['id']}")
    attempts = sorted([a["statusCode"] for a in d["attempts"]] for d in found)
    # The two failures hit one delivery or both; either way each ends in one 200.
    assert sorted(code for codes in attempts for code in codes) == [200, 200, 500, 502]
    assert all(codes[-1] == 200 for codes in attempts)
    assert len(hook.requests) == 4
    for request in hook.requests:
        svix.Webhook(made["secret"]).verify(request.body, request.headers)
    assert {json.loads(r.body)["type"] for r in hook.requests} == {"email.sent", "email.delivered"}


# -- the receiver check ----------------------------------------------------------------------------

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_the_check_passes_a_receiver_verifying_with_the_svix_library(client: httpx.Client) -> None:
    def correct(request: Received) -> int:
        try:
            svix.Webhook(SECRET).verify(request.body, request.headers)
        except Exception:
            return 400
        return 200

    with Receiver(handler=correct) as hook:
        response = client.post(
            "/api/v1/webhooks/check", json={"url": hook.url, "format": "resend", "secret": SECRET}
        )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["failed"] is False and report["format"] == "resend"
    assert {c["verdict"] for c in report["checks"]} == {"pass"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://127.0.0.1:9/h", "format": "resend"}, "secret"),
        ({"url": "http://127.0.0.1:9/h", "format": "resend", "secret": "whsec_*"}, "secret"),
        ({"url": "http://127.0.0.1:9/h", "format": "svix"}, "format"),
        ({"url": "127.0.0.1:9/h", "format": "sns"}, "url"),
        ({"url": "http://127.0.0.1:9/h", "format": "sns", "timeout": 600}, "timeout"),
        ({"url": "http://127.0.0.1:9/h", "format": "sns", "topicArn": "t"}, "topicArn"),
        (
            {"url": "http://127.0.0.1:9/h", "format": "sns", "signatureVersion": "3"},
            "signatureVersion",
        ),
    ],
)
def test_the_check_refuses_bad_input(
    client: httpx.Client, body: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/webhooks/check", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"] == field


def test_the_sns_check_signs_with_mailyards_key_and_serves_a_decoy(client: httpx.Client) -> None:
    oracle = _oracle()
    cert = "http://127.0.0.1:0/_sns/SimpleNotificationService-mailyard.pem"
    fetched: list[str] = []

    def fetch(url: str) -> bytes:  # the in-process server has no socket: fetch through the app
        fetched.append(url)
        return client.get(urlsplit(url).path).content

    def receiver(trusted: set[str] | None) -> Receiver:
        def handle(request: Received) -> int:
            message = request.json()
            try:
                oracle.verify(
                    message,
                    fetch,
                    now=time.time(),
                    trusted=trusted if trusted is not None else re_all(),
                    topics={"arn:aws:sns:us-east-1:123456789012:mailyard-webhook-check"},
                )
            except (oracle.VerificationError, KeyError, ValueError):
                return 400
            return 200

        return Receiver(handler=handle)

    with receiver({cert}) as careful, receiver(None) as trusting:
        good = client.post("/api/v1/webhooks/check", json={"url": careful.url, "format": "sns"})
        bad = client.post("/api/v1/webhooks/check", json={"url": trusting.url, "format": "sns"})
    assert good.status_code == 200, good.text
    assert good.json()["failed"] is False
    verdicts = {c["name"]: c["verdict"] for c in bad.json()["checks"]}
    assert verdicts["untrusted-cert-url"] == "fail" and bad.json()["failed"] is True
    assert "http://127.0.0.1:0/_webhook-check/decoy.pem" in fetched
    decoy = client.get("/_webhook-check/decoy.pem")
    assert decoy.status_code == 200 and decoy.text.startswith("-----BEGIN CERTIFICATE-----")
    assert decoy.content != client.get(urlsplit(cert).path).content


class re_all:
    """A trust list that contains everything: the receiver that fetches any SigningCertURL."""

    def __contains__(self, item: object) -> bool:
        return bool(re.match(r"https?://", str(item)))
