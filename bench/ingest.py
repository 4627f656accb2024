"""SMTP ingest: mailyard against the bare-aiosmtpd ceiling, the four workloads of issue 2.

    python bench/ingest.py [--reps 3] [--scenarios a,b,c,d] [--scale 1.0]

a: 5,000 x ~2 KB over 1 connection          b: 5,000 x ~2 KB over 20 concurrent connections
c: 500 x ~200 KB over 1 connection           d: 5,000 x ~2 KB, 20 parallel senders, a new
                                                connection per message
Each (rep, scenario, server) starts a fresh server with an empty store. For mailyard, every
message is checked to be stored and searchable once the load ends. Prints msg/s (median of the
reps), the ratio to the ceiling, server CPU ms per message, ack latency p50/p99 and peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

import httpx
import loadgen
from common import (
    Proc,
    large_message,
    median,
    percentile,
    small_message,
    start_bare,
    start_mailyard,
)

SCENARIOS = {
    "a": ("5k x 2 KB, 1 conn", "small", 5000, 1, False),
    "b": ("5k x 2 KB, 20 conns", "small", 5000, 20, False),
    "c": ("500 x 200 KB, 1 conn", "large", 500, 1, False),
    "d": ("5k x 2 KB, 20 par., new conn/msg", "small", 5000, 20, True),
}


def measure(proc: Proc, body: bytes, count: int, conns: int, reconnect: bool) -> dict[str, float]:
    cpu0 = proc.cpu_seconds()
    started = time.perf_counter()
    latencies = asyncio.run(loadgen.run(proc.smtp_port, body, count, conns, reconnect))
    wall = time.perf_counter() - started
    return {
        "rate": count / wall,
        "cpu_ms": (proc.cpu_seconds() - cpu0) * 1000 / count,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "rss_mb": proc.status("VmHWM"),
    }


def verify_stored(proc: Proc, count: int) -> float:
    """Check every message is stored and searchable; return messages per commit."""
    with httpx.Client(base_url=f"http://127.0.0.1:{proc.http_port}", timeout=30) as api:
        total = api.get("/api/v1/messages", params={"limit": 1}).json()["total"]
        query = {"query": "subject:your", "limit": 1}
        found = api.get("/api/v1/search", params=query).json()["messages_count"]
        commits = api.get("/api/v1/info").json()["RuntimeStats"]["StoreCommits"]
    if total != count or found != count:
        raise SystemExit(f"stored {total}, searchable {found}, sent {count}")
    return count / max(1, commits)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--scenarios", default="a,b,c,d")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply message counts (quick runs)"
    )
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args()
    bodies = {"small": small_message(), "large": large_message()}
    print(f"message sizes: small {len(bodies['small'])} B, large {len(bodies['large'])} B")
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="mailyard-bench-") as tmp:
        for rep in range(args.reps):
            for key in args.scenarios.split(","):
                _, kind, count, conns, reconnect = SCENARIOS[key]
                count = max(conns, int(count * args.scale))
                for server in ("bare", "mailyard"):
                    folder = Path(tmp) / f"{rep}-{key}-{server}"
                    folder.mkdir()
                    proc = (
                        start_bare(folder) if server == "bare" else start_mailyard(folder / "m.db")
                    )
                    try:
                        result = measure(proc, bodies[kind], count, conns, reconnect)
                        if server == "mailyard":
                            result["per_commit"] = verify_stored(proc, count)
                    finally:
                        proc.stop()
                    results.setdefault((key, server), []).append(result)
                    print(f"  rep {rep} {key} {server:8} {result['rate']:8.0f} msg/s", flush=True)
    print()
    print(
        f"{'scenario':38} {'bare msg/s':>10} {'mailyard':>9} {'ratio':>6} "
        f"{'CPU ms/msg':>11} {'ack p50/p99 ms':>15} {'peak RSS MB':>12} {'msgs/commit':>11}"
    )
    for key in args.scenarios.split(","):
        bare, ours = results[(key, "bare")], results[(key, "mailyard")]
        ratio = median([o["rate"] / b["rate"] for o, b in zip(ours, bare, strict=True)])
        print(
            f"{key}: {SCENARIOS[key][0]:35} {median([r['rate'] for r in bare]):10.0f} "
            f"{median([r['rate'] for r in ours]):9.0f} {ratio:6.2f} "
            f"{median([r['cpu_ms'] for r in ours]):5.2f}/{median([r['cpu_ms'] for r in bare]):5.2f} "
            f"{median([r['p50_ms'] for r in ours]):7.2f}/{median([r['p99_ms'] for r in ours]):6.2f} "
            f"{max(r['rss_mb'] for r in ours):12.1f} {median([r['per_commit'] for r in ours]):11.1f}"
        )
    print("CPU ms/msg is mailyard/bare; ack latency is from the end of DATA to the 250.")
    if args.json:
        args.json.write_text(json.dumps({f"{k}-{s}": v for (k, s), v in results.items()}, indent=1))


if __name__ == "__main__":
    main()
