"""The WAL's size under sustained load (issue 9, break 4): does it stay under its bound?

    python bench/wal.py [--seconds 60] [--connections 20] [--readers 4] [-- serve options...]

Starts a fresh `mailyard serve`, sends ~2 KB messages over `--connections` SMTP sessions for
`--seconds` while `--readers` API clients list and search the inbox in a loop (and as many
inbox streams stay open), and samples the size of the database's `-wal` file every 0.25 s. Then
the load stops and the WAL is sampled for 5 s more. Prints the WAL size every 5 s, its maximum
and its size at the end, beside the messages stored. Options after `--` go to `serve` (e.g.
`-- --wal-limit 32M`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import tempfile
import time
from pathlib import Path

import httpx
import loadgen
from common import median, percentile, small_message, start_mailyard

SAMPLE = 0.25
MB = 1024 * 1024
READ_EVERY = 0.5  # a reader's pause between a listing and the next: a person, or a CI poll


def wal_size(db: Path) -> int:
    try:
        return os.path.getsize(f"{db}-wal")
    except OSError:
        return 0


async def sample(db: Path, into: list[tuple[float, int]], started: float) -> None:
    while True:
        into.append((time.perf_counter() - started, wal_size(db)))
        await asyncio.sleep(SAMPLE)


async def send(port: int, until: float, latencies: list[float]) -> None:
    session = await loadgen.Session.open(port)
    block = loadgen.data_block(small_message())
    try:
        while time.perf_counter() < until:
            latencies.append(await session.send(block))
    finally:
        await session.close()


async def read(base: str, until: float, counts: list[int]) -> None:
    """A reader that lists and searches, as an inbox re-listing or a polling CI job does."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        while time.perf_counter() < until:
            await client.get("/api/v1/messages", params={"limit": 50})
            await client.get("/api/v1/search", params={"query": "order", "limit": 50})
            counts[0] += 2
            await asyncio.sleep(READ_EVERY)


async def stream(base: str, until: float) -> None:
    async with (
        httpx.AsyncClient(base_url=base, timeout=None) as client,
        client.stream("GET", "/ui/events") as response,
    ):
        async for _ in response.aiter_bytes():
            if time.perf_counter() >= until:
                return


async def load(
    db: Path, smtp_port: int, base: str, seconds: float, connections: int, readers: int
) -> tuple[list[tuple[float, int]], list[float], int]:
    samples: list[tuple[float, int]] = []
    latencies: list[float] = []
    reads = [0]
    started = time.perf_counter()
    until = started + seconds
    sampler = asyncio.create_task(sample(db, samples, started))
    streams = [asyncio.create_task(stream(base, until)) for _ in range(readers)]
    await asyncio.gather(
        *(send(smtp_port, until, latencies) for _ in range(connections)),
        *(read(base, until, reads) for _ in range(readers)),
    )
    await asyncio.sleep(5)  # idle: does the WAL shrink once the load stops?
    sampler.cancel()
    for task in streams:
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.gather(sampler, *streams)
    return samples, latencies, reads[0]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("serve", nargs="*", help="options for mailyard serve (after --)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mailyard-wal-") as tmp:
        db = Path(tmp) / "m.db"
        proc = start_mailyard(db, *args.serve)
        try:
            base = f"http://127.0.0.1:{proc.http_port}"
            samples, latencies, reads = asyncio.run(
                load(db, proc.smtp_port, base, args.seconds, args.connections, args.readers)
            )
            stored = httpx.get(base + "/api/v1/messages", params={"limit": 1}).json()["total"]
        finally:
            proc.stop()
        db_size = db.stat().st_size
    sent = len(latencies)
    print(f"serve options: {' '.join(args.serve) or '(defaults)'}")
    print(f"{'t (s)':>6} {'WAL MB':>8}")
    for t, size in samples[:: int(5 / SAMPLE)]:
        print(f"{t:6.0f} {size / MB:8.1f}")
    during = [s for t, s in samples if t <= args.seconds]
    print(
        f"{sent} messages acknowledged ({sent / args.seconds:.0f} msg/s), {stored} stored, "
        f"{reads} API reads; ack p50/p99 {median(latencies) * 1000:.1f}/"
        f"{percentile(latencies, 99) * 1000:.1f} ms"
    )
    print(
        f"WAL: max {max(during) / MB:.1f} MB during the load, {samples[-1][1] / MB:.1f} MB "
        f"5 s after it; database {db_size / MB:.1f} MB"
    )
    if stored != sent:
        raise SystemExit(f"{sent} acknowledged but {stored} stored")


if __name__ == "__main__":
    main()
