"""The pytest plugin's costs (issue 13): per-test overhead and how soon `wait_for` returns.

    python bench/plugin.py [--tests 200] [--rounds 3] [--messages 500] [--json FILE]

One `mailyard serve` is started for the whole run (its start is not a per-test cost).

1. Overhead per test: pytest runs --tests tests that use the `mailyard` fixture (against that
   server, --mailyard-url) and as many that use no fixture; the per-test setup + teardown time
   pytest reports, minus the baseline's, is the plugin's (the cursor request, the Inbox, handing
   the cleanup to the plugin's cleanup thread, and whatever that thread's search and delete
   cost the next test); --rounds times, the kinds taking turns, the median of the rounds
   printed. Three kinds: a bare fixture; one that takes an `address()` (cleanup: a search); one
   whose test received a mail (cleanup: a search and a delete; the send and the wait are the
   test's own time, not counted). Goal: under 5 ms.
2. Latency: --messages times, a thread long-polls in `wait_for(to=<a new address>)` while the
   main thread sends one message over a kept SMTP connection; from the end of DATA (and from
   the 250 that follows the commit) to `wait_for` returning, p50/p99. Goal: p99 within 5 ms of
   the commit (the 250 is sent once the message is committed, so 250 -> return approximates
   commit -> return; it can be negative when the long poll's answer overtakes the 250). A plain
   request's p50/p99 is printed beside it: on a busy machine that floor is most of the p99.
"""

from __future__ import annotations

import argparse
import json
import queue
import smtplib
import statistics
import tempfile
import threading
import time
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
from common import percentile

from mailyard.web.testing.inbox import Inbox
from mailyard.web.testing.service import MailyardServer, start_server

PLUGIN = "mailyard.web.testing.plugin"
OVERHEAD_GOAL_MS = 5.0
LATENCY_GOAL_MS = 5.0
KINDS = {
    "baseline": "def test_it(n):\n    pass\n",
    "fixture": "def test_it(n, mailyard):\n    pass\n",
    "address": "def test_it(n, mailyard):\n    mailyard.address('jane')\n",
    "received": (
        "import smtplib\n"
        "def test_it(n, mailyard, mailyard_server):\n"
        "    to = mailyard.address('jane')\n"
        "    with smtplib.SMTP(mailyard_server.smtp_host, mailyard_server.smtp_port) as s:\n"
        "        s.sendmail('app@example.com', [to], f'To: {to}\\r\\nSubject: hi\\r\\n\\r\\nhi'.encode())\n"
        "    mailyard.wait_for(to=to)\n"
    ),
}


class Phases:
    """Collects each test's setup and teardown durations, as pytest measured them."""

    def __init__(self) -> None:
        self.per_test: dict[str, float] = {}
        self.failed = 0

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when in ("setup", "teardown"):
            self.per_test[report.nodeid] = self.per_test.get(report.nodeid, 0.0) + report.duration
        if report.failed:
            self.failed += 1


def plugin_args() -> list[str]:
    """`-p` the plugin unless its entry point is installed (pytest refuses it twice)."""
    installed = any(ep.value == PLUGIN for ep in entry_points(group="pytest11"))
    return [] if installed else ["-p", PLUGIN]


def run_tests(folder: Path, kind: str, count: int, url: str) -> list[float]:
    """Per-test setup + teardown seconds of `count` tests of `kind`."""
    project = folder / kind
    project.mkdir(parents=True)
    (project / "pytest.ini").write_text("[pytest]\n")
    (project / "conftest.py").write_text(
        "import pytest\n"
        f"@pytest.fixture(params=range({count}))\n"
        "def n(request):\n    return request.param\n"
    )
    (project / f"test_{kind}.py").write_text(KINDS[kind])
    phases = Phases()
    args = [
        str(project),
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:benchmark",
        *plugin_args(),
        "--import-mode=importlib",
        "--rootdir",
        str(project),
        "--mailyard-url",
        url,
    ]
    code = pytest.main(args, plugins=[phases])
    if code != 0 or phases.failed:
        raise SystemExit(f"the {kind} tests failed ({code})")
    return list(phases.per_test.values())


def overhead(server: MailyardServer, folder: Path, count: int, rounds: int) -> dict[str, Any]:
    """Each kind's per-test setup + teardown minus the baseline's, in ms: the median over the
    rounds of each round's mean and p50 (the kinds take turns, so a busy moment of a shared
    machine falls on all of them), and the p99 of every test of every round."""
    per_round: dict[str, list[tuple[float, float]]] = {kind: [] for kind in KINDS}
    pooled: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for r in range(rounds):
        durations = {k: run_tests(folder / str(r), k, count, server.http_url) for k in KINDS}
        base = statistics.fmean(durations["baseline"])
        for kind, values in durations.items():
            extra = [(d - base) * 1000 for d in values]
            per_round[kind].append((statistics.fmean(extra), percentile(extra, 50)))
            pooled[kind] += extra
        per_round["baseline"][-1] = (base * 1000, percentile(durations["baseline"], 50) * 1000)
    return {
        kind: {
            "mean_ms": statistics.median(m for m, _ in per_round[kind]),
            "p50_ms": statistics.median(p for _, p in per_round[kind]),
            "p99_ms": percentile(pooled[kind], 99),
        }
        for kind in KINDS
    }


def latency(server: MailyardServer, count: int) -> dict[str, Any]:
    """wait_for's latency, and a plain request's taken between the messages (the floor)."""
    inbox = Inbox.open(server, timeout=10)
    asked: queue.Queue[str | None] = queue.Queue()
    returned: queue.Queue[float] = queue.Queue()

    def waiter() -> None:
        while (to := asked.get()) is not None:
            inbox.wait_for(to=to)
            returned.put(time.perf_counter())

    thread = threading.Thread(target=waiter, daemon=True)
    thread.start()
    from_end, from_250, floor = [], [], []
    with smtplib.SMTP(server.smtp_host, server.smtp_port, timeout=30) as smtp:
        smtp.ehlo()
        for i in range(count + 20):
            to = inbox.address(f"u{i}")
            body = f"From: app@example.com\r\nTo: {to}\r\nSubject: Code {i}\r\n\r\n{i:06d}\r\n"
            asked.put(to)
            time.sleep(0.003)  # let the long poll reach the server first
            smtp.mail("app@example.com")
            smtp.rcpt(to)
            smtp.putcmd("data")
            if smtp.getreply()[0] != 354:
                raise SystemExit("DATA refused")
            smtp.send(body.encode() + b".\r\n")
            ended = time.perf_counter()
            code, _ = smtp.getreply()
            acked = time.perf_counter()
            if code != 250:
                raise SystemExit(f"message {i} refused: {code}")
            done = returned.get(timeout=30)
            started = time.perf_counter()
            server.client.cursor()  # the floor now: one plain request
            plain = (time.perf_counter() - started) * 1000
            if i >= 20:  # the first ones warm up both sides
                from_end.append((done - ended) * 1000)
                from_250.append((done - acked) * 1000)
                floor.append(plain)
    asked.put(None)
    thread.join()
    inbox.close()
    return {
        "plain_request_p50_ms": percentile(floor, 50),
        "plain_request_p99_ms": percentile(floor, 99),
        "messages": len(from_end),
        "from_data_end_p50_ms": percentile(from_end, 50),
        "from_data_end_p99_ms": percentile(from_end, 99),
        "from_250_p50_ms": percentile(from_250, 50),
        "from_250_p99_ms": percentile(from_250, 99),
        "overtook_250": sum(1 for v in from_250 if v < 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tests", type=int, default=200)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3, help="of the overhead runs")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mailyard-bench-") as tmp:
        server = start_server(Path(tmp))
        try:
            costs = overhead(server, Path(tmp), args.tests, args.rounds)
            waits = latency(server, args.messages)
        finally:
            server.close()
    print(
        f"\n1. plugin overhead per test, {args.tests} tests x {args.rounds} rounds "
        f"(goal < {OVERHEAD_GOAL_MS:g} ms)"
    )
    print(f"   baseline setup+teardown without the fixture: {costs['baseline']['mean_ms']:.2f} ms")
    for kind, label in (
        ("fixture", "fixture only (cursor)"),
        ("address", "with address() (+ its cleanup)"),
        ("received", "received a mail (+ its cleanup)"),
    ):
        c = costs[kind]
        verdict = "ok" if c["mean_ms"] < OVERHEAD_GOAL_MS else "OVER"
        print(
            f"   {label:40} mean {c['mean_ms']:5.2f}  p50 {c['p50_ms']:5.2f}  "
            f"p99 {c['p99_ms']:5.2f} ms  [{verdict}]"
        )
    print(
        f"\n2. wait_for latency over {waits['messages']} messages (goal p99 < {LATENCY_GOAL_MS:g} ms)"
    )
    print(
        f"   from the end of DATA: p50 {waits['from_data_end_p50_ms']:.2f}  "
        f"p99 {waits['from_data_end_p99_ms']:.2f} ms"
    )
    verdict = "ok" if waits["from_250_p99_ms"] < LATENCY_GOAL_MS else "OVER"
    print(
        f"   from the 250 (after the commit): p50 {waits['from_250_p50_ms']:.2f}  "
        f"p99 {waits['from_250_p99_ms']:.2f} ms  [{verdict}]  "
        f"({waits['overtook_250']} answers overtook the 250)"
    )
    print(
        f"   for reference, one plain API request now: p50 {waits['plain_request_p50_ms']:.2f}  "
        f"p99 {waits['plain_request_p99_ms']:.2f} ms"
    )
    if args.json:
        args.json.write_text(json.dumps({"overhead": costs, "latency": waits}, indent=1))


if __name__ == "__main__":
    main()
