"""`mailyard checklist` through the provider emulation, over real sockets (issues 12 and 13).

The built-in auth service of a real `mailyard serve` sends its mail through SES (the mailer's
boto3 `sesv2` client, `AWS_ENDPOINT_URL_SESV2` aimed at the same mailyard) or through Resend
(`RESEND_API_URL` aimed at it): the process sends to itself over loopback, the emulator stores
the mail in the key's mailbox and the simulator records its events, and the checklist, run as a
user types it, finds the mail there. Then external sample services whose mail reaches mailyard
through the providers' own SDKs: boto3 `sesv2` (Simple), boto3 `ses` SendRawEmail (v1, the
app's own MIME) and the `resend` Python SDK. The built-in mailer sends SES v2 only (SESSender
with a `sesv2` client), so SES v1 is covered by the sample service.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import resend
from support.sample_auth import HOST, Delivery, by_resend, by_ses, by_ses_v1_raw, sample_app
from support.servers import Process, start_process

from mailyard.sandbox.checklist.report import ChecklistReport, Status
from mailyard.sandbox.checklist.run import Checklist
from mailyard.sandbox.checklist.target import ChecklistTarget

AKID = "AKIACHECKLIST" + uuid.uuid4().hex[:7].upper()
RESEND_KEY = "re_checklist_" + uuid.uuid4().hex[:12]
SAMPLE = f"http://{HOST}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def delivering(mode: str, url: str) -> dict[str, str]:
    """The environment that sends the built-in service's mail through `mode` to `url`."""
    if mode == "ses":
        return {
            "MAILYARD_DELIVERY": "ses",
            "AWS_ENDPOINT_URL_SESV2": url,
            "AWS_ACCESS_KEY_ID": AKID,
            "AWS_SECRET_ACCESS_KEY": "any-secret",
            "AWS_REGION": "eu-west-1",
            "BLUAUTH_SES_FROM_ADDRESS": "no-reply@auth.example.test",
        }
    return {
        "MAILYARD_DELIVERY": "resend",
        "RESEND_API_URL": url,
        "RESEND_API_KEY": RESEND_KEY,
        "RESEND_FROM_APP_AUTH": "Example App <noreply@app.example.test>",
    }


def start_sending_to_itself(tmp: Path, mode: str) -> Process:
    """`mailyard serve` whose mailer's provider endpoint is its own HTTP port (chosen before it
    starts; tried again on another port if one was taken in between)."""
    for attempt in range(3):
        port = free_port()
        try:
            return start_process(
                tmp,
                "--http-port",
                str(port),
                "--clock-control",
                db=tmp / f"{mode}-{attempt}.db",
                env=delivering(mode, f"http://127.0.0.1:{port}"),
            )
        except RuntimeError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@pytest.fixture(scope="module")
def ses_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    srv = start_sending_to_itself(tmp_path_factory.mktemp("via-ses"), "ses")
    yield srv
    assert srv.stop() == 0, srv.output()


@pytest.fixture(scope="module")
def resend_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    srv = start_sending_to_itself(tmp_path_factory.mktemp("via-resend"), "resend")
    yield srv
    assert srv.stop() == 0, srv.output()


def checklist_cli(
    label: str, *args: str, cwd: Path
) -> tuple[dict[str, Any], subprocess.CompletedProcess[str]]:
    """`mailyard checklist ... --json` as a user runs it; prints the wall time."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "mailyard.web", "checklist", "--json", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)},
        cwd=cwd,
    )
    seconds = time.perf_counter() - started
    report = json.loads(done.stdout) if done.stdout.startswith("{") else {}
    inside = report.get("durationMs", 0) / 1000
    print(f"checklist {label}: {seconds:.2f} s wall, {inside:.2f} s inside")
    return report, done


def by_key(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["key"]: c for c in report["checks"]}


def assert_all_pass(report: dict[str, Any], done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, done.stdout + done.stderr
    statuses = {c["key"]: c["status"] for c in report["checks"]}
    assert set(statuses.values()) == {"pass"}, statuses


def test_the_built_in_service_through_the_ses_emulation(
    ses_server: Process, tmp_path: Path
) -> None:
    # --mailbox: provider mail is kept in the access key's mailbox, and the checklist reads it.
    report, done = checklist_cli(
        "via SES v2", "--server", ses_server.url, "--mailbox", AKID, cwd=tmp_path
    )
    assert_all_pass(report, done)
    checks = by_key(report)
    assert "sent via ses" in checks["email-not-configured"]["reason"]
    sent = checks["email-not-configured"]["details"]["send"]
    assert sent["provider"] == "ses" and sent["outcome"] == "sent"
    accepted = checks["provider-accepted"]
    assert accepted["details"]["events"][:2] == ["send", "delivery"]
    assert accepted["details"]["providerMessageId"] == sent["message_id"]
    assert "(the one the send log names)" in accepted["reason"]
    assert checks["reset-link"]["message"]["mailbox"] == AKID
    assert "refused it a second time (410 token_used)" in checks["reset-link"]["reason"]
    assert "token_expired" in checks["expiry"]["reason"]
    with ses_server.api() as api:
        message = api.get(f"/api/v1/message/{checks['reset-link']['message']['id']}").json()
        raw = api.get(f"/api/v1/message/{message['ID']}/raw").text
    assert f"<{sent['message_id']}@eu-west-1.amazonses.com>" in raw  # SES's Message-ID form
    assert "no-reply@auth.example.test" in raw


def test_the_built_in_service_through_the_resend_emulation(
    resend_server: Process, tmp_path: Path
) -> None:
    # No --mailbox: the checklist looks in every mailbox and says where it found the mail.
    report, done = checklist_cli("via Resend", "--server", resend_server.url, cwd=tmp_path)
    assert_all_pass(report, done)
    checks = by_key(report)
    sent = checks["email-not-configured"]["details"]["send"]
    assert sent["provider"] == "resend" and sent["outcome"] == "sent"
    accepted = checks["provider-accepted"]
    assert accepted["reason"].startswith(f"resend events for message {sent['message_id']}")
    mailbox = checks["reset-link"]["message"]["mailbox"]
    assert mailbox.startswith("resend-") and RESEND_KEY not in mailbox
    assert f"(in mailbox {mailbox})" in checks["reset-link"]["reason"]


def test_a_wrong_mailbox_names_the_right_one(resend_server: Process, tmp_path: Path) -> None:
    report, done = checklist_cli(
        "with a wrong --mailbox",
        *("--server", resend_server.url, "--mailbox", AKID, "--timeout", "1"),
        cwd=tmp_path,
    )
    assert done.returncode == 1
    reason = by_key(report)["reset-link"]["reason"]
    assert f"in mailbox {AKID}; it arrived in mailbox resend-" in reason


# -- external sample services sending through the providers' SDKs ---------------------------


def run_against_sample(
    server: Process, delivery: Delivery, *flaws: str
) -> tuple[ChecklistReport, float]:
    """The checklist against a sample service (in this process, reached through its ASGI app)
    whose mail goes to the real mailyard through `delivery`."""
    app = sample_app(delivery, *flaws)
    target = ChecklistTarget(server.url, auth_url=f"{SAMPLE}/auth", timeout=10)

    async def go() -> ChecklistReport:
        mounts = {SAMPLE: httpx.ASGITransport(app=app)}
        async with httpx.AsyncClient(mounts=mounts, timeout=30) as http:
            report = await Checklist(target, http, rng=random.Random()).run()
        await asyncio.gather(*list(app.state.pending), return_exceptions=True)
        return report

    started = time.perf_counter()
    report = asyncio.run(go())
    return report, time.perf_counter() - started


def statuses(report: ChecklistReport) -> dict[str, Status]:
    return {r.key: r.status for r in report.results}


def assert_sample_passes(report: ChecklistReport, provider: str, mailbox: str) -> None:
    assert report.ok, report.table()
    found = statuses(report)
    assert found.pop("expiry") is Status.NOT_VERIFIABLE  # its clock is its own
    assert set(found.values()) == {Status.PASS}, report.table()
    results = {r.key: r for r in report.results}
    assert results["provider-accepted"].reason.startswith(f"{provider} events for message ")
    message = results["reset-link"].message
    assert message is not None and message.mailbox == mailbox, report.table()


@pytest.mark.parametrize(
    ("via", "deliver"),
    [("sesv2", by_ses), ("ses-v1-raw", by_ses_v1_raw)],
)
def test_a_sample_service_sending_through_boto3(
    ses_server: Process, via: str, deliver: Any
) -> None:
    key = "AKIASAMPLE" + uuid.uuid4().hex[:10].upper()
    report, seconds = run_against_sample(ses_server, deliver(ses_server.url, key))
    print(f"checklist, sample service via {via}: {seconds:.2f} s")
    assert_sample_passes(report, "ses", key)


def test_a_sample_service_sending_through_the_resend_sdk(
    resend_server: Process, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "re_sample_" + uuid.uuid4().hex[:12]
    monkeypatch.setattr(resend, "api_key", key)
    monkeypatch.setattr(resend, "api_url", resend_server.url)
    report, seconds = run_against_sample(resend_server, by_resend())
    print(f"checklist, sample service via the resend SDK: {seconds:.2f} s")
    message = next(r.message for r in report.results if r.key == "reset-link")
    assert message is not None and message.mailbox.startswith("resend-")
    assert_sample_passes(report, "resend", message.mailbox)
    with resend_server.api() as api:  # the mailbox is the one of this key, not of the lead's
        other = api.get("/api/v1/messages", params={"mailbox": message.mailbox, "limit": 50})
    assert all(m["Subject"] == "Reset your Sample App password" for m in other.json()["messages"])


def test_a_flawed_sample_fails_through_a_provider_too(
    resend_server: Process, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(resend, "api_key", "re_flawed_" + uuid.uuid4().hex[:12])
    monkeypatch.setattr(resend, "api_url", resend_server.url)
    report, _ = run_against_sample(resend_server, by_resend(), "reusable")
    failed = [r.key for r in report.results if r.status is Status.FAIL]
    assert failed == ["reset-link"], report.table()
