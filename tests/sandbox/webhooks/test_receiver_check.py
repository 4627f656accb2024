"""`webhook-check` against deliberately broken receivers, each served by uvicorn on 127.0.0.1:0.

The Resend-format receivers verify with the official `svix` library (or by hand, for the one
without a timestamp window), the SNS ones with the independent oracle `sns_verify`; each is
flagged for exactly its own mistakes and nothing else.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from types import ModuleType

import httpx
import pytest
import svix
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mailyard.sandbox.webhooks import svix_signing
from mailyard.sandbox.webhooks.receiver_check import (
    CRASH,
    MEANINGLESS,
    Report,
    Verdict,
    check_receiver,
    judge,
)
from mailyard.sandbox.webhooks.receiver_probes import Expect, Probe, SNSTarget, SvixTarget
from mailyard.sandbox.webhooks.sns_envelope import Subscription
from mailyard.sandbox.webhooks.sns_signing import SigningKey

Handler = Callable[[bytes, dict[str, str]], Awaitable[int]]
P, F, U = Verdict.PASS, Verdict.FAIL, Verdict.UNKNOWN


@asynccontextmanager
async def serve(handler: Handler) -> AsyncIterator[str]:
    """Serve `handler` at /hook on 127.0.0.1, a free port; yield the URL."""

    async def hook(request: Request) -> Response:
        status = await handler(await request.body(), dict(request.headers))
        return Response(status_code=status)

    app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    for _ in range(500):  # bounded: at most ~5 s for uvicorn to bind
        if server.started or task.done():
            break
        await asyncio.sleep(0.01)
    assert server.started, "uvicorn did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/hook"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


async def run(handler: Handler, target: SvixTarget | SNSTarget) -> Report:
    async with serve(handler) as url, httpx.AsyncClient() as client:
        return await check_receiver(client, url, target, now=time.time(), rng=random.Random(11))


# -- Resend-format receivers ----------------------------------------------------------------------

SECRET = svix_signing.new_secret(random.Random(1).randbytes)


def svix_receiver(*, on_duplicate: int = 200, catch_all: bool = True) -> tuple[Handler, list[str]]:
    """A careful receiver: the official library, 400 on any failure, dedupe on svix-id."""
    processed: list[str] = []

    async def handle(body: bytes, headers: dict[str, str]) -> int:
        try:
            svix.Webhook(SECRET).verify(body, headers)
        except svix.WebhookVerificationError:
            return 400
        except Exception:
            if not catch_all:
                raise
            return 400
        if headers["svix-id"] in processed:
            return on_duplicate
        processed.append(headers["svix-id"])
        return 200

    return handle, processed


async def no_verification(body: bytes, headers: dict[str, str]) -> int:
    return 200


def no_tolerance() -> Handler:
    """Checks the HMAC by hand, dedupes, but never looks at how old the timestamp is."""
    seen: set[str] = set()
    key = base64.b64decode(SECRET.removeprefix("whsec_"))

    async def handle(body: bytes, headers: dict[str, str]) -> int:
        signed = f"{headers['svix-id']}.{headers['svix-timestamp']}.".encode() + body
        expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        if not any(hmac.compare_digest(s, expected) for s in headers["svix-signature"].split()):
            return 400
        seen.add(headers["svix-id"])
        return 200

    return handle


RESEND_ALL_PASS = {
    "valid": P,
    "duplicate": P,
    "tampered-body": P,
    "tampered-retry": P,
    "wrong-secret": P,
    "malformed-signature": P,
    "stale-timestamp": P,
    "future-timestamp": P,
    "replay": P,
    "out-of-order": P,
}


async def test_a_correct_resend_receiver_passes_every_check() -> None:
    handler, processed = svix_receiver()
    report = await run(handler, SvixTarget(SECRET))
    assert report.verdicts() == RESEND_ALL_PASS
    assert not report.failed
    # Processed exactly: the genuine event once, then the out-of-order pair; nothing forged.
    assert len(processed) == 3


async def test_a_receiver_that_verifies_nothing_is_flagged_for_every_forgery() -> None:
    report = await run(no_verification, SvixTarget(SECRET))
    assert report.verdicts() == {
        **RESEND_ALL_PASS,
        "tampered-body": F,
        "tampered-retry": F,
        "wrong-secret": F,
        "malformed-signature": F,
        "stale-timestamp": F,
        "future-timestamp": F,
        "replay": F,
    }
    assert report.failed


async def test_a_receiver_without_timestamp_tolerance_is_flagged_for_stale_and_replay() -> None:
    report = await run(no_tolerance(), SvixTarget(SECRET))
    assert report.verdicts() == {
        **RESEND_ALL_PASS,
        "stale-timestamp": F,
        "future-timestamp": F,
        "replay": F,
    }
    replay = next(c for c in report.checks if c.name == "replay")
    assert replay.status == 200 and "300 s" in replay.advice


async def test_a_receiver_that_rejects_duplicates_is_flagged_for_it_alone() -> None:
    handler, _ = svix_receiver(on_duplicate=409)
    report = await run(handler, SvixTarget(SECRET))
    assert report.verdicts() == {**RESEND_ALL_PASS, "duplicate": F}
    duplicate = next(c for c in report.checks if c.name == "duplicate")
    assert duplicate.status == 409 and "at-least-once" in duplicate.advice


async def test_a_receiver_that_lets_the_librarys_value_error_escape_answers_500() -> None:
    # svix 2.9.1 raises ValueError, not WebhookVerificationError, for "v1" without a comma.
    handler, _ = svix_receiver(catch_all=False)
    report = await run(handler, SvixTarget(SECRET))
    assert report.verdicts() == {**RESEND_ALL_PASS, "malformed-signature": F}
    malformed = next(c for c in report.checks if c.name == "malformed-signature")
    assert malformed.status == 500 and malformed.advice == CRASH


async def test_a_receiver_given_the_wrong_secret_makes_refusals_meaningless() -> None:
    other = svix_signing.new_secret(random.Random(2).randbytes)
    handler, _ = svix_receiver()
    report = await run(handler, SvixTarget(other))
    verdicts = report.verdicts()
    assert verdicts["valid"] is F and verdicts["duplicate"] is F and verdicts["out-of-order"] is F
    assert {verdicts[n] for n in ("tampered-body", "wrong-secret", "stale-timestamp")} == {U}
    assert next(c for c in report.checks if c.name == "tampered-body").advice == MEANINGLESS


async def test_an_unreachable_receiver_fails_the_genuine_event() -> None:
    async with httpx.AsyncClient() as client:
        report = await check_receiver(
            client,
            "http://127.0.0.1:9/hook",
            SvixTarget(SECRET),
            now=time.time(),
            rng=random.Random(1),
            timeout=2,
        )
    assert report.verdicts()["valid"] is F and report.checks[0].status is None
    assert report.unreachable == "connection refused"
    assert report.verdicts()["tampered-body"] is U


async def test_report_json_and_table() -> None:
    report = await run(no_verification, SvixTarget(SECRET))
    data = report.as_json()
    assert data["format"] == "resend" and data["failed"] is True
    checks = data["checks"]
    assert isinstance(checks, list) and checks[0]["name"] == "valid"
    assert set(checks[0]) == {"name", "sent", "status", "verdict", "advice", "error"}
    assert Report.from_json(data) == report
    assert json.loads(json.dumps(data)) == data
    table = report.table()
    assert table.splitlines()[0] == f"webhook-check {report.url} (resend)"
    assert "tampered-body        200     fail" in table
    assert "-> accepted a body its signature does not cover" in table
    assert "Cannot be seen from outside:" in table and table.endswith("3 passed, 0 unknown\n")


async def test_the_probes_are_deterministic_given_the_seed_and_time() -> None:
    sent: list[list[tuple[bytes, str]]] = [[], []]
    for run_ in (0, 1):

        async def record(body: bytes, headers: dict[str, str], run_: int = run_) -> int:
            sent[run_].append((body, headers["svix-signature"]))
            return 200

        async with serve(record) as url, httpx.AsyncClient() as client:
            await check_receiver(
                client, url, SvixTarget(SECRET), now=1_800_000_000, rng=random.Random(5)
            )
    assert sent[0] == sent[1] and len(sent[0]) == 11


# -- SNS-format receivers -------------------------------------------------------------------------

NOW = time.time()
CERT_URL = "http://127.0.0.1:8025/_sns/SimpleNotificationService-mailyard.pem"
DECOY_URL = "http://127.0.0.1:8025/_sns/webhook-check-decoy.pem"
TOPIC = "arn:aws:sns:us-east-1:123456789012:ses-events"


@pytest.fixture(scope="module")
def sns_target() -> SNSTarget:
    sub = Subscription(TOPIC, TOPIC + ":c9135db0", CERT_URL, "http://127.0.0.1:8025/_sns/", "2")
    return SNSTarget(SigningKey.generate(NOW, 1), sub, SigningKey.generate(NOW, 2), DECOY_URL)


class Anything:
    """A trust list that trusts every URL: the receiver that fetches whatever it is told."""

    def __contains__(self, item: object) -> bool:
        return True


def sns_receiver(
    oracle: ModuleType,
    target: SNSTarget,
    *,
    trust_any: bool = False,
    check_topic: bool = True,
    verify: bool = True,
) -> Handler:
    # What mailyard serves: its certificate, and for webhook-check the decoy's.
    served = {CERT_URL: target.key.cert_pem, DECOY_URL: target.decoy_key.cert_pem}
    seen: set[str] = set()

    async def handle(body: bytes, headers: dict[str, str]) -> int:
        message = json.loads(body)
        if verify:
            try:
                oracle.verify(
                    message,
                    served.__getitem__,
                    now=NOW,
                    trusted=Anything() if trust_any else {CERT_URL},
                    topics={TOPIC} if check_topic else None,
                )
            except (oracle.VerificationError, KeyError, ValueError):
                return 400
        seen.add(message["MessageId"])  # a re-delivered id is answered 200, not redone
        return 200

    return handle


SNS_CORRECT = {
    "valid": P,
    "duplicate": P,
    "tampered-body": P,
    "tampered-retry": P,
    "wrong-key": P,
    "malformed-signature": P,
    "untrusted-cert-url": P,
    "other-topic": P,
    "stale-timestamp": U,
    "replay": U,
    "out-of-order": P,
}


async def test_a_correct_sns_receiver_passes_and_the_unjudgeable_are_unknown(
    sns_verify: ModuleType, sns_target: SNSTarget
) -> None:
    report = await run(sns_receiver(sns_verify, sns_target), sns_target)
    assert report.verdicts() == SNS_CORRECT
    assert not report.failed
    assert any("SigningCertURL" in item for item in report.unobservable)


async def test_an_sns_receiver_that_fetches_any_cert_url_is_caught(
    sns_verify: ModuleType, sns_target: SNSTarget
) -> None:
    report = await run(sns_receiver(sns_verify, sns_target, trust_any=True), sns_target)
    assert report.verdicts() == {**SNS_CORRECT, "untrusted-cert-url": F}


async def test_an_sns_receiver_that_ignores_the_topic_is_caught(
    sns_verify: ModuleType, sns_target: SNSTarget
) -> None:
    report = await run(sns_receiver(sns_verify, sns_target, check_topic=False), sns_target)
    assert report.verdicts() == {**SNS_CORRECT, "other-topic": F}


async def test_an_sns_receiver_that_verifies_nothing_is_caught(
    sns_verify: ModuleType, sns_target: SNSTarget
) -> None:
    report = await run(sns_receiver(sns_verify, sns_target, verify=False), sns_target)
    assert report.verdicts() == {
        **SNS_CORRECT,
        "tampered-body": F,
        "tampered-retry": F,
        "wrong-key": F,
        "malformed-signature": F,
        "untrusted-cert-url": F,
        "other-topic": F,
    }


async def test_without_a_served_decoy_the_untrusted_url_is_unresolvable(
    sns_verify: ModuleType, sns_target: SNSTarget
) -> None:
    target = SNSTarget(sns_target.key, sns_target.subscription, sns_target.decoy_key)
    report = await run(sns_receiver(sns_verify, target, trust_any=True), target)
    untrusted = next(c for c in report.checks if c.name == "untrusted-cert-url")
    # The naive receiver's fetch fails (KeyError here, DNS in life): refused, so it passes;
    # only a served decoy makes this mistake visible, which is why the lead serves one.
    assert untrusted.verdict is P and ".invalid/" in untrusted.sent


# -- the judgement table itself -------------------------------------------------------------------


def probe(expect: Expect) -> Probe:
    return Probe("p", "sent", expect, (), "bad", "good", "cannot tell")


@pytest.mark.parametrize(
    ("expect", "statuses", "genuine", "verdict"),
    [
        (Expect.ACCEPT, [200, 204], True, P),
        (Expect.ACCEPT, [200, 409], True, F),
        (Expect.ACCEPT, [None], True, F),
        (Expect.REJECT, [400], True, P),
        (Expect.REJECT, [401], False, U),
        (Expect.REJECT, [200], False, F),
        (Expect.REJECT, [500], True, F),
        (Expect.REJECT, [302], True, F),
        (Expect.REJECT, [None], True, U),
        (Expect.EITHER, [200], True, U),
        (Expect.EITHER, [403], True, P),
        (Expect.EITHER, [], True, U),
    ],
)
def test_judge(expect: Expect, statuses: list[int | None], genuine: bool, verdict: Verdict) -> None:
    assert judge(probe(expect), statuses, genuine_accepted=genuine).verdict is verdict
