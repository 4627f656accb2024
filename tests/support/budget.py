"""Bounded-work assertions: "this input cannot make that code run away".

Speed is the benchmarks' business (bench/); a test only proves that hostile input cannot
freeze the service. It measures the CPU time this process spends (`time.process_time`), not
wall time: other processes on a shared CI machine do not count, only our own work does. Each
budget is set at least ten times above what the work costs on a slow machine, so only a
blow-up (quadratic, exponential, an unbounded loop) can exceed it.

    with cpu_budget(0.5, "parsing a 40 KB header"):
        parse(hostile)
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cpu_budget(seconds: float, what: str = "the work") -> Iterator[None]:
    """Fail if the block spends more than `seconds` of this process's CPU time."""
    started = time.process_time()
    yield
    spent = time.process_time() - started
    assert spent < seconds, f"{what} took {spent:.3f} s of CPU, over its {seconds} s budget"
