"""The checklist against the built-in auth service and against sample services with the
mistakes it exists to catch: each fails at its own check, with the reason, and only there.

mailyard runs in this process (its SMTP sink on a real loopback port); the checklist's HTTP
client reaches mailyard and the sample apps through ASGI transports mounted on their hosts, and
the sample apps mail mailyard over SMTP, as a user's app does.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.types import ASGIApp
from support.sample_auth import HOST, sample_app
from support.servers import start_inprocess

from mailyard.sandbox.checklist.report import ChecklistReport, Status
from mailyard.sandbox.checklist.run import Checklist
from mailyard.sandbox.checklist.target import ChecklistTarget
from mailyard.web.testing.inprocess import InProcessServer

MAILYARD = "http://127.0.0.1"
SAMPLE = f"http://{HOST}"


@pytest.fixture(scope="module")
def mailyard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    server = start_inprocess(
        tmp_path_factory.mktemp("checklist"), "--auth-public-url", MAILYARD, "--clock-control"
    )
    yield server
    server.stop()


def run_checklist(
    server: InProcessServer,
    target: ChecklistTarget,
    apps: dict[str, ASGIApp] | None = None,
) -> ChecklistReport:
    assert server.app is not None

    async def go() -> ChecklistReport:
        mounts = {MAILYARD: httpx.ASGITransport(app=server.app)}
        mounts.update({url: httpx.ASGITransport(app=app) for url, app in (apps or {}).items()})
        async with httpx.AsyncClient(mounts=mounts, timeout=30) as http:
            report = await Checklist(target, http, rng=random.Random()).run()
        for app in (apps or {}).values():  # no send of this test outlives it
            await asyncio.gather(*list(app.state.pending), return_exceptions=True)
        return report

    return server.call(go)


def statuses(report: ChecklistReport) -> dict[str, Status]:
    return {r.key: r.status for r in report.results}


def result(report: ChecklistReport, key: str) -> str:
    found = next(r for r in report.results if r.key == key)
    return f"{found.status.value}: {found.reason}"


def test_the_built_in_service_passes(mailyard: InProcessServer) -> None:
    report = run_checklist(mailyard, ChecklistTarget(MAILYARD, timeout=5))
    assert report.ok, report.table()
    found = statuses(report)
    # Provider events need the delivery simulator; everything else is checked and passes.
    assert found.pop("provider-accepted") in (Status.PASS, Status.NOT_VERIFIABLE)
    assert set(found.values()) == {Status.PASS}, report.table()
    assert "refused it a second time (410 token_used)" in result(report, "reset-link")
    assert "refused the token (410 token_expired)" in result(report, "expiry")
    assert report.results[5].message is not None  # the table names the message it read
    assert [r.number for r in report.results] == [str(n) for n in range(1, 13)]
    # Titles name the URLs called, not the spec's placeholder.
    titles = [r.title for r in report.results]
    assert not any("{AUTH_URL}" in t for t in titles), titles
    assert titles[1] == f"Create a test end user through {MAILYARD}/auth/signup"
    assert titles[2] == f"Call {MAILYARD}/auth/password-reset for that email"
    # The expiry check says that it moved the shared clock, by how much, for good.
    expiry = result(report, "expiry")
    assert "mailyard's clock is now 3601 s (1 h) ahead for good (it cannot move back)" in expiry
    # Mail of the sandbox delivery met no provider: step 5 names the delivery.
    accepted = result(report, "provider-accepted")
    if accepted.startswith("pass"):
        assert "sent through the sandbox delivery (no provider API)" in accepted, accepted
        assert "ses events" not in accepted


def test_without_clock_control_expiry_says_what_to_do_once(tmp_path: Path) -> None:
    server = start_inprocess(tmp_path, "--auth-public-url", MAILYARD)
    try:
        report = run_checklist(server, ChecklistTarget(MAILYARD, timeout=5))
    finally:
        server.stop()
    assert report.ok, report.table()
    reason = result(report, "expiry")
    assert reason.startswith("not-verifiable: mailyard's clock follows the real time"), reason
    assert reason.count("--clock-control") == 1, reason


def test_not_configured_fails_at_step_4_and_says_why(tmp_path: Path) -> None:
    server = start_inprocess(tmp_path, "--auth-public-url", MAILYARD, "--delivery", "auto")
    try:
        report = run_checklist(server, ChecklistTarget(MAILYARD, timeout=3))
    finally:
        server.stop()
    assert not report.ok
    failure = report.first_failure
    assert failure is not None and failure.number == "4", report.table()
    assert "email_not_configured" in failure.reason
    assert "RESEND_API_KEY" in failure.reason
    found = statuses(report)
    assert found["reset-link"] is Status.NOT_RUN
    assert found["enumeration"] is Status.PASS  # what needs no mail still runs


def sample_target(**changes: object) -> ChecklistTarget:
    values: dict[str, object] = {"mailyard_url": MAILYARD, "auth_url": f"{SAMPLE}/auth"}
    values["timeout"] = 5
    values.update(changes)
    return ChecklistTarget(**values)  # type: ignore[arg-type]


def check_sample(
    server: InProcessServer, *flaws: str, **target: object
) -> tuple[ChecklistReport, dict[str, Status]]:
    public = str(target.get("public_url", SAMPLE))
    app = sample_app(server.smtp_port, *flaws, public_url=public)
    apps = {SAMPLE: app, public: app, public.replace("https://", "http://"): app}
    report = run_checklist(server, sample_target(**target), apps)
    return report, statuses(report)


def test_a_sound_sample_service_passes(mailyard: InProcessServer) -> None:
    report, found = check_sample(mailyard)
    assert report.ok, report.table()
    assert found["expiry"] is Status.NOT_VERIFIABLE  # its clock is its own
    assert "keeps its own clock" in result(report, "expiry")
    assert found["email-not-configured"] is Status.PASS


def only_failure(report: ChecklistReport, key: str) -> str:
    failed = [r.key for r in report.results if r.status is Status.FAIL]
    assert failed == [key], report.table()
    return result(report, key)


def test_a_reusable_token_fails_step_6(mailyard: InProcessServer) -> None:
    report, _ = check_sample(mailyard, "reusable")
    assert "accepted the same token a second time" in only_failure(report, "reset-link")


def test_a_token_used_up_by_get_fails_the_prefetch_check(mailyard: InProcessServer) -> None:
    report, _ = check_sample(mailyard, "get_consumes")
    reason = only_failure(report, "prefetch")
    assert "after a scanner's prefetch of the link (HEAD 200, GET 200, GET 200)" in reason
    assert "refused the token: 400" in reason


def test_an_enumeration_leak_by_timing_is_measured(mailyard: InProcessServer) -> None:
    report, _ = check_sample(mailyard, "timing_leak")
    reason = only_failure(report, "enumeration")
    assert "timing:" in reason and "Mann-Whitney p" in reason
    assert "status:" not in reason and "body:" not in reason


def test_an_enumeration_leak_by_status_is_named(mailyard: InProcessServer) -> None:
    report, _ = check_sample(mailyard, "status_leak")
    reason = only_failure(report, "enumeration")
    assert "status: [200] with an account, [404] without" in reason
    assert "body:" in reason  # {"ok": true} against {"error": ...}


def test_an_http_link_fails_the_origin_check(mailyard: InProcessServer) -> None:
    report, _ = check_sample(mailyard, "http_link", public_url=f"https://{HOST}")
    reason = only_failure(report, "link-origin")
    assert "its scheme is http, the public URL's is https" in reason


def test_production_mode_refuses_local_and_http_links(mailyard: InProcessServer) -> None:
    report = run_checklist(mailyard, ChecklistTarget(MAILYARD, timeout=5, production=True))
    reason = only_failure(report, "link-origin")
    assert "it is http" in reason and "127.0.0.1 is a local address" in reason


def test_an_html_only_mail_fails_the_plain_text_check(mailyard: InProcessServer) -> None:
    report, _ = check_sample(mailyard, "html_only")
    assert "no text/plain part" in only_failure(report, "plain-text")


def test_an_external_service_without_mail_fails_step_4_with_the_explanation(
    mailyard: InProcessServer,
) -> None:
    report, found = check_sample(mailyard, "not_configured", timeout=1)
    failure = report.first_failure
    assert failure is not None and failure.number == "4", report.table()
    assert "no reset email reached mailyard within 1 s" in failure.reason
    assert "email_not_configured" in failure.reason
    assert found["reset-link"] is Status.NOT_RUN


def test_the_report_reads_as_a_table_and_as_json(mailyard: InProcessServer) -> None:
    report, _ = check_sample(mailyard, "reusable")
    table = report.table()
    assert "  6  FAIL     The reset link reaches the inbox" in table
    assert "first failure: step 6" in table
    data = report.as_json()
    assert data["ok"] is False
    assert data["summary"]["fail"] == 1  # type: ignore[index]
    checks = data["checks"]
    assert isinstance(checks, list) and checks[5]["message"]["subject"]
