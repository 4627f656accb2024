"""The timing comparison behind the enumeration check: a rank test and a robust shift."""

from __future__ import annotations

import random

import pytest

from mailyard.sandbox.checklist.stats import ALPHA, compare, hodges_lehmann, mann_whitney


def jitter(rng: random.Random, base: float, n: int = 20) -> list[float]:
    """Response times as HTTP gives them: a floor, a long right tail."""
    return [base + rng.expovariate(1 / 0.3) for _ in range(n)]


def test_agrees_with_scipy() -> None:
    stats = pytest.importorskip("scipy.stats")
    rng = random.Random(3)
    for shift in (0.0, 0.2, 1.0):
        a, b = jitter(rng, 2.0 + shift), jitter(rng, 2.0)
        u, p = mann_whitney(a, b)
        reference = stats.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic")
        assert u == pytest.approx(reference.statistic)
        assert p == pytest.approx(reference.pvalue, rel=1e-9)


def test_ties_are_corrected_for() -> None:
    stats = pytest.importorskip("scipy.stats")
    a, b = [1.0, 1.0, 2.0, 3.0, 3.0, 3.0], [1.0, 2.0, 2.0, 4.0, 5.0, 5.0]
    reference = stats.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic")
    assert mann_whitney(a, b)[1] == pytest.approx(reference.pvalue, rel=1e-9)


def test_an_honest_service_is_not_flagged_in_a_thousand_runs_more_than_alpha_allows() -> None:
    rng = random.Random(11)
    flagged = sum(compare(jitter(rng, 2.0), jitter(rng, 2.0)).leak for _ in range(1000))
    assert flagged <= 5  # alpha 0.001: about one expected


def test_a_lookup_and_send_on_the_request_path_is_found() -> None:
    rng = random.Random(5)
    result = compare(jitter(rng, 9.0), jitter(rng, 2.0))  # +7 ms with an account
    assert result.leak and result.p < ALPHA
    assert result.shift == pytest.approx(7.0, abs=0.5)


def test_a_difference_below_the_floor_is_not_called_a_leak_however_certain() -> None:
    a, b = [2.2 + i * 1e-4 for i in range(20)], [2.0 + i * 1e-4 for i in range(20)]
    result = compare(a, b)
    assert result.p < 1e-6 and not result.leak  # 0.2 ms: real, but not what 20 calls resolve


def test_one_slow_outlier_does_not_move_the_verdict() -> None:
    rng = random.Random(8)
    a, b = jitter(rng, 2.0), jitter(rng, 2.0)
    a[0] = 500.0  # a garbage collection pause
    assert not compare(a, b).leak


def test_hodges_lehmann_and_edge_cases() -> None:
    assert hodges_lehmann([3.0, 4.0], [1.0, 2.0]) == 2.0
    assert mann_whitney([1.0, 1.0], [1.0, 1.0])[1] == 1.0
    with pytest.raises(ValueError):
        mann_whitney([], [1.0])
