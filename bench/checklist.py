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
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_MS = 3000.0
READY = re.compile(r"web and API on (http://\S+?)/? ")


def start(folder: Path) -> tuple[subprocess.Popen[str], str]:
    """`mailyard serve` on free ports; its process and URL once it says it is ready."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mailyard.web",
            "serve",
            "--smtp-port",
            "0",
            "--http-port",
            "0",
            "--db",
            str(folder / "bench.db"),
            "--clock-control",
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if found := READY.search(line + " "):
            return process, found.group(1)
    process.kill()
    raise RuntimeError("mailyard serve did not become ready")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        process, url = start(Path(tmp))
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
            process.terminate()
            process.wait(timeout=30)
    print(
        f"\nchecklist, median {statistics.median(inside):.0f} ms, worst {max(inside):.0f} ms;"
        f" with the interpreter's start: median {statistics.median(outside):.0f} ms"
        f"   (goal: under {GOAL_MS:.0f} ms)"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
