"""`mailyard checklist` against the built-in auth service: how long a whole run takes.

    python bench/checklist.py [--runs 5]

Starts `mailyard serve --clock-control` on free ports with a new database, then runs
`mailyard checklist --server URL --json` --runs times, one after another, each on a fresh
address (the checklist makes one per run). Prints each run's duration as the checklist measures
it (`durationMs`: from its first request to its verdict) and as the shell sees it (the
interpreter's start included), then the median and the worst, beside issue 13's goal: under 3 s.
Every run must pass; a failing one is reported and fails the benchmark.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mailyard.web.testing.harness import ServerProcess

GOAL_MS = 3000.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess.start(
            Path(tmp), "--clock-control", "--quiet", db=Path(tmp) / "bench.db"
        )
        url = server.url
        inside, outside, failed = [], [], 0
        try:
            for run in range(1, args.runs + 1):
                began = time.perf_counter()
                done = subprocess.run(
                    [sys.executable, "-m", "mailyard.web", "checklist", "--server", url, "--json"],
                    capture_output=True,
                    text=True,
                    timeout=300,
                )
                wall = (time.perf_counter() - began) * 1000
                report = json.loads(done.stdout) if done.stdout.startswith("{") else {}
                ok = done.returncode == 0 and report.get("ok") is True
                failed += not ok
                inside.append(float(report.get("durationMs", wall)))
                outside.append(wall)
                print(
                    f"run {run}: {inside[-1]:7.0f} ms (checklist)  {wall:7.0f} ms (shell)"
                    f"  {'pass' if ok else 'FAILED: ' + done.stdout[-300:] + done.stderr[-300:]}"
                )
        finally:
            server.stop()
    print(
        f"\nchecklist, median {statistics.median(inside):.0f} ms, worst {max(inside):.0f} ms;"
        f" with the interpreter's start: median {statistics.median(outside):.0f} ms"
        f"   (goal: under {GOAL_MS:.0f} ms)"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
