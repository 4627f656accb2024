"""The checklist and rate limits: the built-in service's limits let the checklist through (twice
in a row), a limit that tells accounts apart fails the enumeration check, a limit on the client
makes it "not verifiable" rather than a false leak; and --mailbox naming the wrong mailbox is
explained.

mailyard runs in this process; the checklist reaches it and the sample apps through ASGI
transports, and the sample apps mail mailyard over SMTP.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Iterator

import httpx
import pytest
from starlette.types import ASGIApp
from support.sample_auth import HOST, sample_app
from support.servers import start_inprocess

from mailyard.sandbox.checklist.report import ChecklistReport, Status
from mailyard.sandbox.checklist.run import Checklist
from mailyard.sandbox.checklist.state import describe_response
from mailyard.sandbox.checklist.target import ChecklistTarget
from mailyard.web.testing.inprocess import InProcessServer

MAILYARD = "http://127.0.0.1"
SAMPLE = f"http://{HOST}"


@pytest.fixture(scope="module")
def mailyard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    server = start_inprocess(
        tmp_path_factory.mktemp("checklist-limits"),
        "--auth-public-url",
        MAILYARD,
        "--clock-control",
    )
    yield server
    server.stop()


async def no_sleep(seconds: float) -> None:
    """The checklist's sleeper in these tests: waits no real time."""


def run_checklist(
    server: InProcessServer,
    target: ChecklistTarget,
    apps: dict[str, ASGIApp] | None = None,
    sleep: Callable[[float], Awaitable[None]] = no_sleep,
) -> ChecklistReport:
    assert server.app is not None
    app = server.app

    async def go() -> ChecklistReport:
        mounts = {MAILYARD: httpx.ASGITransport(app=app)}
        mounts.update({url: httpx.ASGITransport(app=a) for url, a in (apps or {}).items()})
        async with httpx.AsyncClient(mounts=mounts, timeout=30) as http:
            report = await Checklist(target, http, rng=random.Random(), sleep=sleep).run()
        for a in (apps or {}).values():
            await asyncio.gather(*list(a.state.pending), return_exceptions=True)
        return report

    return server.call(go)


def check(report: ChecklistReport, key: str) -> tuple[Status, str]:
    found = next(r for r in report.results if r.key == key)
    return found.status, found.reason


def sample_report(
    server: InProcessServer,
    *flaws: str,
    sleep: Callable[[float], Awaitable[None]] = no_sleep,
) -> ChecklistReport:
    app = sample_app(server.smtp_port, *flaws)
    target = ChecklistTarget(MAILYARD, auth_url=f"{SAMPLE}/auth", timeout=5)
    return run_checklist(server, target, {SAMPLE: app}, sleep)


def test_the_built_in_limits_let_two_runs_in_a_row_through(mailyard: InProcessServer) -> None:
    for _ in range(2):
        report = run_checklist(mailyard, ChecklistTarget(MAILYARD, timeout=5))
        assert report.ok, report.table()
        status, reason = check(report, "enumeration")
        assert status is Status.PASS, reason
        assert check(report, "expiry")[0] is Status.PASS  # the last reset of the run


def test_a_limit_per_account_is_an_enumeration_leak(mailyard: InProcessServer) -> None:
    report = sample_report(mailyard, "account_interval")
    status, reason = check(report, "enumeration")
    assert status is Status.FAIL, report.table()
    assert "status: [429] with an account, [200] without" in reason
    assert "429 for one kind of address only" in reason
    # The prefetch check asked for a second reset email and was refused, with the wait: a
    # wait longer than the checklist keeps to, so the limit is named as the cause.
    status, reason = check(report, "prefetch")
    assert status is Status.FAIL
    assert "answered 429 too many requests (Retry-After 60 s)" in reason
    assert "this is the service's rate limit, not a fault of the app" in reason
    assert "longer than the 10 s the checklist waits" in reason


def test_a_short_retry_after_is_waited_out_and_said(mailyard: InProcessServer) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    report = sample_report(mailyard, "brief_limit", sleep=sleep)
    assert report.ok, report.table()
    status, reason = check(report, "prefetch")
    assert status is Status.PASS, reason
    assert "the service's rate limit answered 429 first" in reason
    assert "waited out its Retry-After, 1 s, and asked again once" in reason
    assert slept == [1.0]  # on the injected sleeper: no real time passed


def test_a_limit_on_the_client_is_not_a_leak(mailyard: InProcessServer) -> None:
    report = sample_report(mailyard, "client_limit")
    status, reason = check(report, "enumeration")
    assert status is Status.NOT_VERIFIABLE, report.table()
    assert "rate-limited the checklist's calls" in reason and "alike for both" in reason
    assert report.ok, report.table()


def test_the_wrong_mailbox_is_explained(mailyard: InProcessServer) -> None:
    report = run_checklist(mailyard, ChecklistTarget(MAILYARD, timeout=1, mailbox="somewhere-else"))
    status, reason = check(report, "reset-link")
    assert status is Status.FAIL, report.table()
    assert "in mailbox somewhere-else; it arrived in mailbox default: drop --mailbox" in reason


def test_a_429_names_its_wait() -> None:
    request = httpx.Request("POST", "http://x.test/auth/password-reset")
    limited = httpx.Response(
        429,
        json={"success": False, "error": {"code": "rate_limited", "message": "m"}},
        headers={"retry-after": "7"},
        request=request,
    )
    assert describe_response(limited) == "429 rate_limited (Retry-After 7 s)"
    dated = httpx.Response(
        429, text="slow down", headers={"retry-after": "Wed, 21 Oct 2026 07:28:00 GMT"}
    )
    assert describe_response(dated) == "429 slow down (Retry-After Wed, 21 Oct 2026 07:28:00 GMT)"
