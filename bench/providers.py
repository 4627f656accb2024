"""Provider API throughput: SES `SendEmail` and Resend `POST /emails` through the real boto3 and
resend SDKs, against mailyard and, for SES, against aws-ses-v2-local on the same machine in the
same run.

    python bench/providers.py [--seconds 10] [--workers 4] [--rounds 3] [--peer-dir DIR]

Each worker is a process with one SDK client on a keep-alive connection (boto3 pools its
connections; the Resend SDK's default client opens one per request, so the workers give it a
`requests.Session` through the SDK's own `default_http_client` seam), sending one message at a
time for --seconds after 30 warm-up sends. mailyard answers 200 only once the message is committed
to SQLite (WAL, synchronous=NORMAL: it survives a crash of the process), indexed for search,
and queued for the simulator, which records every recipient's events; after the runs the
benchmark checks that every message sent was stored and simulated. aws-ses-v2-local keeps its
messages in memory.

Targets run in alternating order, --rounds times; the medians of the rounds' rates and p99s are
printed, with the CPU seconds each server and the client processes used per 1,000 requests: on a
machine whose cores the clients share with the servers, the rate is bounded by the sum of the
two, so the client's share (boto3 signs and parses every call) caps any server's advantage.
aws-ses-v2-local is installed from npm into --peer-dir on first use
(`npm install aws-ses-v2-local@2.10.2`).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from common import ROOT, median, percentile, start_mailyard

PEER_VERSION = "2.10.2"
WARMUP = 30
TEXT = "Hello Jane,\n\nYour sign-in code is 493021. It expires in 10 minutes.\n" * 4
HTML = "<html><body><p>Hello Jane,</p><p>Your sign-in code is <b>493021</b>.</p></body></html>"


# -- the load: one process per worker -----------------------------------------------------------


def _ses_sender(url: str) -> Callable[[], None]:
    import boto3

    client = boto3.client(
        "sesv2",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKIABENCH" + uuid.uuid4().hex[:8].upper(),
        aws_secret_access_key="bench",
    )

    def send() -> None:
        client.send_email(
            FromEmailAddress="Acme <noreply@example.com>",
            Destination={"ToAddresses": ["jane@example.com"]},
            Content={
                "Simple": {
                    "Subject": {"Data": "Your sign-in code"},
                    "Body": {"Text": {"Data": TEXT}, "Html": {"Data": HTML}},
                }
            },
        )

    return send


def _resend_sender(url: str) -> Callable[[], None]:
    import requests
    import resend

    session = requests.Session()

    class KeepAlive(resend.HTTPClient):  # type: ignore[misc]
        def request(
            self, method: str, url: str, headers: Any, json: Any = None, **kwargs: Any
        ) -> Any:
            answer = session.request(method, url, headers=headers, json=json, timeout=30)
            return answer.content, answer.status_code, answer.headers

    resend.api_key = "re_bench_" + uuid.uuid4().hex
    resend.api_url = url
    resend.default_http_client = KeepAlive()

    def send() -> None:
        resend.Emails.send(
            {
                "from": "Acme <noreply@example.com>",
                "to": ["jane@example.com"],
                "subject": "Your sign-in code",
                "text": TEXT,
                "html": HTML,
            }
        )

    return send


def _worker(kind: str, url: str, seconds: float, start: Any, out: Any) -> None:
    send = _ses_sender(url) if kind == "ses" else _resend_sender(url)
    for _ in range(WARMUP):
        send()
    start.wait()
    latencies, errors = [], 0
    cpu = time.process_time()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        began = time.perf_counter()
        try:
            send()
        except Exception:  # a refused or failed send counts, it is not timed
            errors += 1
            continue
        latencies.append(time.perf_counter() - began)
    out.put((latencies, errors, time.process_time() - cpu))


def run_load(kind: str, url: str, workers: int, seconds: float) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    start, out = context.Barrier(workers + 1), context.Queue()
    processes = [
        context.Process(target=_worker, args=(kind, url, seconds, start, out))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    start.wait()
    began = time.monotonic()
    results = [out.get(timeout=seconds + 120) for _ in processes]
    elapsed = time.monotonic() - began
    for process in processes:
        process.join(30)
    latencies = [latency for result in results for latency in result[0]]
    return {
        "requests": len(latencies),
        "errors": sum(result[1] for result in results),
        "rate": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "warmup": WARMUP * workers,
        "client_cpu_per_1000": sum(result[2] for result in results) / max(1, len(latencies)) * 1000,
    }


# -- the servers --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_peer(peer_dir: Path, folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    cli = peer_dir / "node_modules" / "aws-ses-v2-local" / "dist" / "cli.js"
    if not cli.exists():
        subprocess.run(
            [
                "npm",
                "install",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(peer_dir),
                f"aws-ses-v2-local@{PEER_VERSION}",
            ],
            check=True,
        )
    port = free_port()
    log = (folder / "peer.log").open("wb")
    process = subprocess.Popen(
        ["node", str(cli), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/health-check", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("aws-ses-v2-local did not start: " + (folder / "peer.log").read_text())


def simulated(db: Path) -> tuple[int, int]:
    """(messages stored, messages the simulator has planned) in mailyard's database."""
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
        planned = conn.execute("SELECT count(DISTINCT seq) FROM deliveries").fetchone()[0]
    return int(stored), int(planned)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--peer-dir", type=Path, default=Path(tempfile.gettempdir()) / "mailyard-bench-node"
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-providers-"))
    peer, peer_url = start_peer(args.peer_dir, folder)
    mailyard = start_mailyard(folder / "mailyard.db")
    mailyard_url = f"http://127.0.0.1:{mailyard.http_port}"
    targets = {
        "aws-ses-v2-local SES": ("ses", peer_url, peer.pid),
        "mailyard SES": ("ses", mailyard_url, mailyard.process.pid),
        "mailyard Resend": ("resend", mailyard_url, mailyard.process.pid),
    }
    results: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
    sent = 0
    try:
        for round_number in range(args.rounds):
            order = list(targets) if round_number % 2 == 0 else list(reversed(targets))
            for name in order:
                kind, url, pid = targets[name]
                cpu = cpu_seconds(pid)
                result = run_load(kind, url, args.workers, args.seconds)
                result["server_cpu_per_1000"] = (
                    (cpu_seconds(pid) - cpu) / max(1, result["requests"]) * 1000
                )
                results[name].append(result)
                if url == mailyard_url:
                    sent += int(result["requests"]) + int(result["warmup"])
                print(f"round {round_number + 1} {name}: {json.dumps(result)}", flush=True)
        deadline = time.monotonic() + 60
        while simulated(folder / "mailyard.db")[1] < sent and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        peer.terminate()
        mailyard.stop()
    stored, planned = simulated(folder / "mailyard.db")
    print(f"\nmailyard: {sent} sends answered 200, {stored} stored, {planned} simulated")
    print(
        f"{'target':24} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'server CPU s/1000':>18} "
        f"{'client CPU s/1000':>18}"
    )
    rates = {}
    for name, rounds in results.items():
        rates[name] = median([r["rate"] for r in rounds])
        print(
            f"{name:24} {rates[name]:8.0f} {median([r['p50_ms'] for r in rounds]):8.2f} "
            f"{median([r['p99_ms'] for r in rounds]):8.2f} "
            f"{median([r['server_cpu_per_1000'] for r in rounds]):18.2f} "
            f"{median([r['client_cpu_per_1000'] for r in rounds]):18.2f}"
        )
    peer_rate = rates["aws-ses-v2-local SES"]
    print(
        f"\nmailyard SES / aws-ses-v2-local: {rates['mailyard SES'] / peer_rate:.2f}x "
        f"(goal 1.5x); {args.workers} client processes on {os.cpu_count()} cores shared with "
        "both servers"
    )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
