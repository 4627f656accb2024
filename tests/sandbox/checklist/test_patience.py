"""Waiting out a rate limit: a Retry-After within the budget is slept (on the injected sleeper)
and the call repeated; one past it, or none, is given back as the limit's answer."""

from __future__ import annotations

import httpx

from mailyard.sandbox.checklist.patience import (
    BUDGET,
    MAX_TRIES,
    limit_failure,
    patiently,
    retry_after,
)

NOW = 1_767_225_600.0  # 2026-01-01 00:00:00 UTC


def limited(retry: str | None) -> httpx.Response:
    headers = {"retry-after": retry} if retry is not None else {}
    return httpx.Response(429, json={"error": "slow down"}, headers=headers)


class Service:
    """Answers the given responses in turn, then 200; counts calls and sleeps."""

    def __init__(self, *answers: httpx.Response) -> None:
        self.answers = list(answers)
        self.calls = 0
        self.slept: list[float] = []

    async def call(self) -> httpx.Response:
        self.calls += 1
        return self.answers.pop(0) if self.answers else httpx.Response(200)

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


async def test_a_short_retry_after_is_waited_out() -> None:
    service = Service(limited("1"), limited("2"))
    patient = await patiently(service.call, service.sleep, lambda: NOW)
    assert patient.response.status_code == 200 and not patient.limited
    assert service.slept == [1.0, 2.0] and patient.waited == 3.0 and patient.retries == 2
    assert "waited out its Retry-After, 3 s, and asked again 2 times" in patient.note()


async def test_the_waits_are_bounded_in_all() -> None:
    service = Service(*[limited("4") for _ in range(5)])
    patient = await patiently(service.call, service.sleep, lambda: NOW)
    assert patient.limited
    assert sum(service.slept) <= BUDGET and service.slept == [4.0, 4.0]
    assert service.calls == 3


async def test_a_zero_retry_after_is_not_a_busy_loop() -> None:
    service = Service(*[limited("0") for _ in range(50)])
    patient = await patiently(service.call, service.sleep, lambda: NOW)
    assert patient.limited and service.calls == MAX_TRIES
    assert all(s > 0 for s in service.slept)


async def test_a_long_or_missing_retry_after_is_not_waited_for() -> None:
    for answer in (limited("60"), limited(None), limited("soon")):
        service = Service(answer)
        patient = await patiently(service.call, service.sleep, lambda: NOW)
        assert patient.limited and service.slept == [] and patient.note() == ""


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after(limited("7"), NOW) == 7.0
    assert retry_after(limited("Thu, 01 Jan 2026 00:00:05 GMT"), NOW) == 5.0
    assert retry_after(limited("Wed, 31 Dec 2025 23:00:00 GMT"), NOW) == 0.0  # past
    assert retry_after(limited("tomorrow"), NOW) is None
    assert retry_after(limited("9" * 40), NOW) == 10.0**9  # bounded


async def test_the_failure_names_the_limit_not_the_app() -> None:
    service = Service(limited("60"))
    patient = await patiently(service.call, service.sleep, lambda: NOW)
    reason = limit_failure("a second reset request", patient, "429 (Retry-After 60 s)")
    assert reason.startswith("a second reset request answered 429 (Retry-After 60 s): ")
    assert "the service's rate limit, not a fault of the app" in reason
    assert f"longer than the {BUDGET:g} s the checklist waits" in reason
