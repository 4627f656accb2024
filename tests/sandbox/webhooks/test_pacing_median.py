"""The pacer's median of its last late beats equals the statistics module's, odd and even."""

from __future__ import annotations

import random
import statistics
from collections import deque

import pytest

from mailyard.sandbox.webhooks.pacing import WINDOW, _median


@pytest.mark.parametrize("size", range(1, WINDOW + 1))
def test_median_equals_the_statistics_module(size: int) -> None:
    rng = random.Random(size)
    for _ in range(50):
        values = deque((rng.uniform(0.0, 0.01) for _ in range(size)), maxlen=WINDOW)
        assert _median(values) == statistics.median(values)


def test_median_of_an_even_count_is_the_mean_of_the_middle_two() -> None:
    assert _median(deque([0.004, 0.001, 0.003, 0.002])) == pytest.approx(0.0025)
