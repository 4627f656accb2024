"""The public endpoints' rate limits: token buckets per client address and per email address,
moved by an injected monotonic time (no sleeps), bounded in memory, and blind to accounts."""

from __future__ import annotations

import pytest

from mailyard.sandbox.auth.errors import RateLimitedError
from mailyard.sandbox.auth.limits import Buckets, PublicLimits, PublicRates, Rate, client_key
from mailyard.sandbox.errors import InvalidInputError


class Time:
    """A monotonic reading the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def spend(buckets: Buckets, key: str, times: int) -> None:
    for _ in range(times):
        buckets.take(key, "requests")


def test_a_bucket_allows_its_burst_then_refills_one_per_interval() -> None:
    time = Time()
    buckets = Buckets(Rate(3, 10.0), time)
    spend(buckets, "a", 3)
    with pytest.raises(RateLimitedError) as refused:
        buckets.take("a", "requests")
    assert refused.value.retry_after == 10
    assert str(refused.value) == (
        "too many requests: 3 at once, then one every 10 s; try again in 10 s"
    )
    time.now += 4  # 0.4 of a token: still empty, and the wait is shorter
    with pytest.raises(RateLimitedError) as again:
        buckets.take("a", "requests")
    assert again.value.retry_after == 6
    time.now += 6
    buckets.take("a", "requests")  # one token came back
    with pytest.raises(RateLimitedError):
        buckets.take("a", "requests")
    time.now += 3600  # a long pause refills to the burst, no further
    spend(buckets, "a", 3)
    with pytest.raises(RateLimitedError):
        buckets.take("a", "requests")


def test_keys_are_counted_apart_and_refusals_cost_nothing() -> None:
    time = Time()
    buckets = Buckets(Rate(2, 60.0), time)
    spend(buckets, "a", 2)
    for _ in range(50):  # hammering an empty bucket does not push the refill back
        with pytest.raises(RateLimitedError):
            buckets.take("a", "requests")
    spend(buckets, "b", 2)
    time.now += 60
    buckets.take("a", "requests")


def test_memory_is_bounded_by_max_keys() -> None:
    buckets = Buckets(Rate(1, 60.0), Time(), max_keys=100)
    for n in range(10_000):
        buckets.take(f"k{n}", "requests")
    assert len(buckets) == 100


def test_a_clock_that_goes_back_refills_nothing() -> None:
    time = Time()
    buckets = Buckets(Rate(1, 10.0), time)
    buckets.take("a", "requests")
    time.now -= 100
    with pytest.raises(RateLimitedError):
        buckets.take("a", "requests")


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),  # the same /64: one client
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("testclient", "testclient"),
        (None, "unknown"),
        ("", "unknown"),
    ],
)
def test_client_keys(host: str | None, key: str) -> None:
    assert client_key(host) == key


def test_the_limits_count_requests_not_accounts() -> None:
    """Nothing here knows about accounts: the bucket of an address fills the same whether or
    not it has one, and the same request gets the same refusal, word for word."""
    time = Time()
    limits = PublicLimits(time)
    burst = limits.rates.reset_per_address.burst
    messages = []
    for address in ("known@example.com", "unknown@example.com"):
        for _ in range(burst):
            limits.reset("192.0.2.1", address)
        with pytest.raises(RateLimitedError) as refused:
            limits.reset("192.0.2.1", address.upper())  # case-folded: the same address
        messages.append((str(refused.value), refused.value.retry_after))
    assert messages[0] == messages[1]
    assert "for this email address" in messages[0][0]
    time.now += limits.rates.reset_per_address.every
    limits.reset("192.0.2.1", "known@example.com")


def test_the_client_limit_holds_across_addresses() -> None:
    time = Time()
    limits = PublicLimits(time, PublicRates(reset_per_client=Rate(5, 2.0)))
    for n in range(5):
        limits.reset("192.0.2.1", f"user{n}@example.com")
    with pytest.raises(RateLimitedError) as refused:
        limits.reset("192.0.2.1", "another@example.com")
    assert "from your IP address" in str(refused.value)
    limits.reset("192.0.2.2", "another@example.com")  # another client
    time.now += 2
    limits.reset("192.0.2.1", "another@example.com")


def test_a_malformed_address_is_refused_and_counted_for_the_client() -> None:
    limits = PublicLimits(Time(), PublicRates(signup_per_client=Rate(2, 10.0)))
    for _ in range(2):
        with pytest.raises(InvalidInputError):
            limits.signup("192.0.2.1", "not an address")
    with pytest.raises(RateLimitedError):
        limits.signup("192.0.2.1", "jane@example.com")


def checklist_run(limits: PublicLimits, user: str, nobody: str, signup: bool = True) -> None:
    """What a `mailyard checklist` run asks of the built-in service: 1 signup, and 47 reset
    requests from one client within seconds, 25 of them for its test user (step 3, the
    prefetch check, 2 warm-ups and 20 samples of the enumeration check, the expiry check) and
    22 for an address without an account."""
    if signup:
        limits.signup("127.0.0.1", user)
    for _ in range(25):
        limits.reset("127.0.0.1", user)
    for _ in range(22):
        limits.reset("127.0.0.1", nobody)


def test_the_default_rates_let_five_checklist_runs_through_back_to_back() -> None:
    time = Time()
    limits = PublicLimits(time)
    for run in range(5):  # no time passing at all
        checklist_run(limits, f"checklist-{run}@example.com", f"nobody-{run}@example.com")
    with pytest.raises(RateLimitedError):
        checklist_run(limits, "checklist-5@example.com", "nobody-5@example.com")
    time.now += 60  # then one a minute
    checklist_run(limits, "checklist-6@example.com", "nobody-6@example.com")


def test_two_runs_with_the_same_email_fit() -> None:
    limits = PublicLimits(Time())
    checklist_run(limits, "me@example.com", "nobody-1@example.com")
    checklist_run(limits, "me@example.com", "nobody-2@example.com", signup=False)
