"""Rate limits and daily quotas on a frozen clock, answered in each provider's words."""

from __future__ import annotations

import pytest

from mailyard.sandbox.clock import Clock
from mailyard.sandbox.simulate.throttle import (
    SES_SANDBOX,
    Allowed,
    Limit,
    Limits,
    Throttle,
    Throttled,
)


@pytest.mark.parametrize("rate", [1, 2, 5, 14])
def test_rate_n_per_second_refuses_the_next_in_the_same_second(rate: int) -> None:
    clock = Clock.frozen()
    throttle = Throttle(clock)
    limits = Limits(rate=rate)
    answers = [throttle.acquire("key", limits) for _ in range(rate)]
    assert all(isinstance(a, Allowed) for a in answers)
    refused = throttle.acquire("key", limits)
    assert isinstance(refused, Throttled) and refused.limit is Limit.RATE
    assert refused.retry_after == 1
    clock.advance(1 / rate)  # one token back
    assert isinstance(throttle.acquire("key", limits), Allowed)
    assert isinstance(throttle.acquire("key", limits), Throttled)
    clock.advance(1)
    assert all(isinstance(throttle.acquire("key", limits), Allowed) for _ in range(rate))


def test_credentials_have_their_own_buckets() -> None:
    throttle = Throttle(Clock.frozen())
    assert isinstance(throttle.acquire("a", Limits(rate=1)), Allowed)
    assert isinstance(throttle.acquire("b", Limits(rate=1)), Allowed)
    assert isinstance(throttle.acquire("a", Limits(rate=1)), Throttled)


def test_resend_headers_count_down_and_a_429_says_when() -> None:
    clock = Clock.frozen()
    throttle = Throttle(clock)
    limits = Limits(rate=2)
    first = throttle.acquire("team", limits)
    assert first == Allowed(2, 1, 1)
    assert first.resend_headers() == {
        "ratelimit-limit": "2",
        "ratelimit-remaining": "1",
        "ratelimit-reset": "1",
    }
    assert throttle.acquire("team", limits) == Allowed(2, 0, 1)
    refused = throttle.acquire("team", limits)
    assert isinstance(refused, Throttled)
    assert refused.resend_error == (
        429,
        "rate_limit_exceeded",
        "Too many requests. You can only make 2 requests per second.",
    )
    assert refused.resend_headers() == {
        "retry-after": "1",
        "ratelimit-limit": "2",
        "ratelimit-remaining": "0",
        "ratelimit-reset": "1",
    }
    assert refused.ses_error == (429, "TooManyRequestsException", "Maximum sending rate exceeded.")
    assert refused.ses_smtp_reply == "454 Throttling failure: Maximum sending rate exceeded"
    assert (
        refused.smtp_reply
        == "451 4.7.1 Rate limit exceeded: at most 2 messages per second, try again in 1 s"
    )
    assert not refused.smtp_closes


def test_slow_rates_wait_whole_seconds() -> None:
    clock = Clock.frozen()
    throttle = Throttle(clock)
    limits = Limits(rate=0.2)  # one every five seconds
    assert isinstance(throttle.acquire("k", limits), Allowed)
    refused = throttle.acquire("k", limits)
    assert isinstance(refused, Throttled) and refused.retry_after == 5
    assert (
        refused.resend_error[2] == "Too many requests. You can only make 0.2 requests per second."
    )
    clock.advance(4.9)
    assert isinstance(throttle.acquire("k", limits), Throttled)
    clock.advance(0.1)
    assert isinstance(throttle.acquire("k", limits), Allowed)


def test_burst_and_a_send_bigger_than_the_bucket() -> None:
    clock = Clock.frozen()
    throttle = Throttle(clock)
    limits = Limits(rate=1, burst=3)
    assert isinstance(
        throttle.acquire("k", limits, rate_cost=50), Allowed
    )  # a full bucket lets it pass
    refused = throttle.acquire("k", limits)
    assert (
        isinstance(refused, Throttled) and refused.retry_after == 48
    )  # 47 tokens of debt, then one
    clock.advance(48)
    assert isinstance(throttle.acquire("k", limits), Allowed)


def test_daily_quota_is_a_rolling_24_hours() -> None:
    clock = Clock.frozen()
    throttle = Throttle(clock)
    limits = Limits(daily=3)
    assert isinstance(throttle.acquire("k", limits, quota_cost=2), Allowed)
    clock.advance(3600)
    assert isinstance(throttle.acquire("k", limits), Allowed)
    assert throttle.sent_last_24h("k") == 3
    refused = throttle.acquire("k", limits)
    assert isinstance(refused, Throttled) and refused.limit is Limit.QUOTA
    assert refused.retry_after == 86400 - 3600  # when the first two leave the window
    assert refused.ses_error == (400, "LimitExceededException", "Daily message quota exceeded.")
    assert refused.ses_smtp_reply == "454 Throttling failure: Daily message quota exceeded"
    assert refused.resend_error == (
        429,
        "daily_quota_exceeded",
        "You have reached your daily email sending quota.",
    )
    assert refused.resend_headers() == {"retry-after": "82800"}
    assert refused.smtp_reply == "421 4.7.0 Daily message quota of 3 exceeded, try again in 82800 s"
    assert refused.smtp_closes
    clock.advance(86400 - 3600 - 1)
    assert isinstance(throttle.acquire("k", limits), Throttled)
    clock.advance(1)  # 24 hours after the first two
    assert throttle.sent_last_24h("k") == 1
    assert isinstance(throttle.acquire("k", limits, quota_cost=2), Allowed)
    assert isinstance(throttle.acquire("k", limits), Throttled)


def test_quota_counts_from_the_start_of_the_minute() -> None:
    clock = Clock.frozen()
    throttle = Throttle(clock)
    clock.advance(59)
    assert isinstance(throttle.acquire("k", Limits(daily=1)), Allowed)
    clock.advance(86400 - 59)  # 24 h after its minute began: free again, a minute early at most
    assert isinstance(throttle.acquire("k", Limits(daily=1)), Allowed)


def test_ses_simulator_mail_counts_toward_the_rate_not_the_quota() -> None:
    throttle = Throttle(Clock.frozen())
    limits = Limits(rate=10, daily=1)
    # Three simulator recipients and one real one in a single send.
    assert isinstance(throttle.acquire("k", limits, rate_cost=4, quota_cost=1), Allowed)
    assert throttle.sent_last_24h("k") == 1
    assert isinstance(throttle.acquire("k", limits, rate_cost=3, quota_cost=0), Allowed)
    refused = throttle.acquire("k", limits, rate_cost=1, quota_cost=1)
    assert isinstance(refused, Throttled) and refused.limit is Limit.QUOTA


def test_refused_sends_cost_nothing() -> None:
    clock = Clock.frozen()
    throttle = Throttle(clock)
    limits = Limits(rate=1, daily=5)
    throttle.acquire("k", limits)
    for _ in range(10):
        assert isinstance(throttle.acquire("k", limits), Throttled)
    assert throttle.sent_last_24h("k") == 1
    clock.advance(1)
    assert isinstance(throttle.acquire("k", limits), Allowed)


def test_a_send_bigger_than_the_quota_never_fits() -> None:
    refused = Throttle(Clock.frozen()).acquire("k", Limits(daily=2), quota_cost=3)
    assert isinstance(refused, Throttled) and refused.retry_after == 86400


def test_ses_limits_from_send_quota() -> None:
    assert Limits(rate=1.0, daily=200) == SES_SANDBOX
    assert Limits.ses(14, -1) == Limits(rate=14, daily=None)
    assert isinstance(Throttle(Clock.frozen()).acquire("k", Limits()), Allowed)
    assert Allowed().resend_headers() == {}


def test_idle_credentials_are_pruned_and_the_count_is_capped() -> None:
    clock = Clock.frozen()
    throttle = Throttle(clock, max_credentials=50)
    for i in range(200):
        throttle.acquire(f"k{i}", Limits(rate=1, daily=10))
    assert len(throttle) == 50
    clock.advance(86400)  # every bucket full, every quota window empty
    for i in range(30):
        throttle.acquire(f"fresh{i}", Limits(rate=1))
    assert len(throttle) == 30  # the idle ones went as the new ones came
    throttle.forget("fresh0")
    assert len(throttle) == 29


def test_a_busy_credential_is_not_pruned() -> None:
    clock = Clock.frozen()
    throttle = Throttle(clock)
    throttle.acquire("busy", Limits(daily=10))
    clock.advance(3600)
    for i in range(10):
        throttle.acquire(f"other{i}", Limits(rate=1))
    assert throttle.sent_last_24h("busy") == 1
