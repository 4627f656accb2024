"""Does the reset endpoint take measurably longer for an address with an account?

Two samples of response times (with an account, without) are compared with the Mann-Whitney
U test, two-sided: it asks whether one sample tends to be larger than the other, uses only
ranks (one slow outlier - a garbage collection, a context switch - moves it no more than any
other sample), and assumes no distribution. The p-value comes from the normal approximation
with the tie correction and a continuity correction, accurate from about 8 samples per side;
the checklist takes 20. The size of the difference is the Hodges-Lehmann shift: the median of
all pairwise differences, robust in the same way.

A leak is reported only when both say so: the difference is unlikely to be chance
(p < `ALPHA`, one false alarm in a thousand runs of an honest service) and large enough to
matter (at least `FLOOR_MS` and `RELATIVE` of the typical response time). 20 samples over HTTP
cannot resolve differences much below a millisecond; a real leak - a database lookup and a
synchronous send, a password hash - costs several.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

ALPHA = 0.001
FLOOR_MS = 1.0
RELATIVE = 0.2


@dataclass(frozen=True)
class Comparison:
    """Two timing samples (milliseconds) compared."""

    n_a: int
    n_b: int
    median_a: float
    median_b: float
    shift: float  # Hodges-Lehmann: a - b, in ms
    u: float
    p: float

    @property
    def threshold(self) -> float:
        """The smallest shift that counts as a leak for these response times."""
        typical = statistics.median((self.median_a, self.median_b))
        return max(FLOOR_MS, RELATIVE * typical)

    @property
    def leak(self) -> bool:
        return self.p < ALPHA and abs(self.shift) >= self.threshold

    def as_json(self) -> dict[str, object]:
        return {
            "samples": [self.n_a, self.n_b],
            "medianMs": [round(self.median_a, 3), round(self.median_b, 3)],
            "shiftMs": round(self.shift, 3),
            "thresholdMs": round(self.threshold, 3),
            "mannWhitneyU": self.u,
            "p": self.p,
            "alpha": ALPHA,
        }


def _ranks(values: list[float]) -> tuple[list[float], list[int]]:
    """Mid-ranks (ties share the mean of their ranks) and the sizes of the tie groups."""
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    ties = []
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        ties.append(j - i + 1)
        i = j + 1
    return ranks, ties


def mann_whitney(a: list[float], b: list[float]) -> tuple[float, float]:
    """U of `a` and the two-sided p-value (normal approximation, tie and continuity
    corrected)."""
    n1, n2 = len(a), len(b)
    if n1 == 0 or n2 == 0:
        raise ValueError("both samples need at least one value")
    ranks, ties = _ranks([*a, *b])
    u = sum(ranks[:n1]) - n1 * (n1 + 1) / 2
    n = n1 + n2
    tie_term = sum(t**3 - t for t in ties) / (n * (n - 1)) if n > 1 else 0.0
    variance = n1 * n2 / 12 * ((n + 1) - tie_term)
    if variance <= 0:  # every value equal: no evidence of any difference
        return u, 1.0
    z = (abs(u - n1 * n2 / 2) - 0.5) / math.sqrt(variance)
    return u, min(1.0, math.erfc(max(z, 0.0) / math.sqrt(2)))


def hodges_lehmann(a: list[float], b: list[float]) -> float:
    """The median of every difference a_i - b_j: how much larger `a` typically is."""
    return statistics.median(x - y for x in a for y in b)


def compare(a: list[float], b: list[float]) -> Comparison:
    u, p = mann_whitney(a, b)
    return Comparison(
        n_a=len(a),
        n_b=len(b),
        median_a=statistics.median(a),
        median_b=statistics.median(b),
        shift=hodges_lehmann(a, b),
        u=u,
        p=p,
    )
