"""Readers against ingest (issue 9, break 3): workload b of `bench/ingest.py` with and without
1,000 open `messages/wait` long polls and 1,000 open inbox streams (SSE).

    python bench/readers.py [--reps 3] [--scale 1.0] [--polls 1000] [--streams 1000]

Goal: the readers cost less than 10 % of the msg/s and keep the ack p99 under 20 ms.

The readers run in a child process (raw asyncio sockets, no HTTP library) so the load
generator's ack times are not slowed by the reader's own work. The long polls are what a CI
with many parallel jobs holds open (each job waits for the mail its test triggered):

- 70 %  `to:job-<n>@ci.example`, a job's own recipient, which the workload never matches;
- 15 %  `to:job-<n>@ci.example subject:"reset your password"`, the same with a subject;
- 10 %  `mailbox=ci-<n>`, a job with its own mailbox (SMTP AUTH user), nothing sent there;
- 4 %   `subject:confirmed`, matching every workload message: answered at once, then the
        client "runs its assertions" for a second and waits again from the new cursor;
- 1 %   no filter at all (`wait` for any next mail), the same loop.

The streams are `/ui/events` as the inbox opens it: 90 % for the default mailbox's view, 10 %
for another mailbox. A stream client only reads (a real tab also re-lists on each update).

2,000 connections need more than the default `--http-max-connections` (1,000) and than a
1,024 open-file limit: the server is started with `--http-max-connections 2500`, and this
script raises its own soft `RLIMIT_NOFILE` to the hard limit, as `ulimit -n 4096` would (the
server raises its own the same way and caps the connection limits under it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import resource
import signal
import subprocess
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

import httpx
import loadgen
from common import median, percentile, small_message, start_bare, start_mailyard

WORKLOAD_B = (5000, 20)  # messages, connections
THINK = 1.0  # seconds a matched client spends before waiting again


@dataclass
class Tally:
    answered: int = 0  # long polls answered with a message
    timeouts: int = 0
    stream_bytes: int = 0
    stream_updates: int = 0
    errors: list[str] = field(default_factory=list)


def poll_queries(n: int) -> list[tuple[dict[str, str], bool]]:
    """(parameters, re-poll after a match) for `n` long polls in the mix described above."""
    polls: list[tuple[dict[str, str], bool]] = []
    for i in range(n):
        slot = i % 100
        if slot < 70:
            polls.append(({"query": f"to:job-{i}@ci.example"}, False))
        elif slot < 85:
            polls.append(({"query": f'to:job-{i}@ci.example subject:"reset your password"'}, False))
        elif slot < 95:
            polls.append(({"mailbox": f"ci-{i}"}, False))
        elif slot < 99:
            polls.append(({"query": "subject:confirmed"}, True))
        else:
            polls.append(({}, True))
    return polls


async def _request(port: int, target: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
    writer.write(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    await writer.drain()
    return reader, writer


async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return status, await reader.readexactly(length)


async def long_poll(
    port: int, params: dict[str, str], again: bool, cursor: str, tally: Tally
) -> None:
    reader, writer = None, None
    try:
        while True:
            target = "/api/v1/messages/wait?" + urllib.parse.urlencode(
                {**params, "after": cursor, "timeout": "300"}
            )
            if writer is None:
                reader, writer = await _request(port, target)
            else:
                writer.write(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            assert reader is not None
            status, body = await _response(reader)
            if status == 200:
                tally.answered += 1
                cursor = json.loads(body)["cursor"]
                if not again:
                    return
                await asyncio.sleep(THINK)
            elif status == 408:
                tally.timeouts += 1
                cursor = json.loads(body)["cursor"]
            else:
                tally.errors.append(f"wait {status}: {body[:80]!r}")
                return
    except (OSError, asyncio.IncompleteReadError) as exc:
        tally.errors.append(f"wait: {exc!r}")
    finally:
        if writer is not None:
            writer.close()


async def stream(port: int, mailbox: str | None, tally: Tally, ready: asyncio.Event) -> None:
    target = "/ui/events" + (f"?mailbox={mailbox}" if mailbox else "")
    writer = None
    try:
        reader, writer = await _request(port, target)
        head = await reader.readuntil(b"\r\n\r\n")
        if b" 200 " not in head.split(b"\r\n", 1)[0]:
            tally.errors.append(f"stream: {head[:60]!r}")
            return
        ready.set()
        while chunk := await reader.read(65536):
            tally.stream_bytes += len(chunk)
            tally.stream_updates += chunk.count(b"event: messages")
    except (OSError, asyncio.IncompleteReadError) as exc:
        tally.errors.append(f"stream: {exc!r}")
    finally:
        if writer is not None:
            writer.close()


async def _readers(port: int, polls: int, streams: int, cursor: str, pipe: Connection) -> None:
    tally = Tally()
    tasks: list[asyncio.Task[None]] = []
    opened: list[asyncio.Event] = []
    for i in range(streams):
        opened.append(asyncio.Event())
        mailbox = None if i % 10 else f"ci-{i}"
        tasks.append(asyncio.create_task(stream(port, mailbox, tally, opened[-1])))
        if i % 50 == 49:
            await asyncio.sleep(0.01)  # do not overflow the listen backlog
    for i, (params, again) in enumerate(poll_queries(polls)):
        tasks.append(asyncio.create_task(long_poll(port, params, again, cursor, tally)))
        if i % 50 == 49:
            await asyncio.sleep(0.01)
    await asyncio.wait_for(asyncio.gather(*(e.wait() for e in opened)), 60)
    await asyncio.sleep(3)  # let the last long polls be registered (nothing to observe them by)
    pipe.send(("ready", len(tally.errors)))
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, pipe.recv)  # "stop"
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    pipe.send(("done", tally))


def _reader_process(port: int, polls: int, streams: int, cursor: str, pipe: Connection) -> None:
    raise_descriptor_limit()
    asyncio.run(_readers(port, polls, streams, cursor, pipe))


def raise_descriptor_limit() -> int:
    """The soft open-file limit raised to the hard one (`ulimit -n` as a user would)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def run_once(
    folder: Path, polls: int, streams: int, count: int, conns: int, profile: Path | None = None
) -> dict[str, float]:
    proc = start_mailyard(folder / "m.db", "--http-max-connections", str(polls + streams + 500))
    child, spy = None, None
    try:
        base = f"http://127.0.0.1:{proc.http_port}"
        cursor = httpx.get(base + "/api/v1/messages/cursor").json()["cursor"]
        ours, theirs = multiprocessing.Pipe()
        if polls or streams:
            child = multiprocessing.Process(
                target=_reader_process, args=(proc.http_port, polls, streams, cursor, theirs)
            )
            child.start()
            _, errors = ours.recv()
            if errors:
                raise SystemExit(f"{errors} readers failed to open")
        rss_idle = proc.status("VmRSS")
        if profile is not None:  # py-spy's collapsed stacks (flamegraph.pl or speedscope read them)
            spy = subprocess.Popen(
                [
                    "py-spy",
                    "record",
                    "--pid",
                    str(proc.process.pid),
                    "--format",
                    "raw",
                    "--output",
                    str(profile),
                    "--rate",
                    "200",
                    "--nonblocking",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(1)
        cpu0 = proc.cpu_seconds()
        started = time.perf_counter()
        latencies = asyncio.run(loadgen.run(proc.smtp_port, small_message(), count, conns, False))
        wall = time.perf_counter() - started
        cpu = proc.cpu_seconds() - cpu0
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=30)
        tally = Tally()
        if child is not None:
            ours.send("stop")
            _, tally = ours.recv()
            if tally.errors:
                raise SystemExit(f"reader errors: {tally.errors[:5]}")
        total = httpx.get(base + "/api/v1/messages", params={"limit": 1}).json()["total"]
        if total != count:
            raise SystemExit(f"stored {total} of {count}")
        return {
            "rate": count / wall,
            "busy": cpu / wall,
            "p50_ms": percentile(latencies, 50) * 1000,
            "p99_ms": percentile(latencies, 99) * 1000,
            "cpu_ms": cpu * 1000 / count,
            "rss_mb": rss_idle,
            "answered": tally.answered,
            "updates": tally.stream_updates,
        }
    finally:
        if child is not None:
            child.join(timeout=30)
            if child.is_alive():
                child.kill()
        proc.stop()


def run_bare(folder: Path, count: int, conns: int) -> dict[str, float]:
    """The same load against a server that stores nothing: what this machine's loopback and
    one asyncio SMTP loop allow, before any work of ours."""
    folder.mkdir()
    proc = start_bare(folder)
    try:
        started = time.perf_counter()
        latencies = asyncio.run(loadgen.run(proc.smtp_port, small_message(), count, conns, False))
        wall = time.perf_counter() - started
    finally:
        proc.stop()
    return {
        "rate": count / wall,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the message count")
    parser.add_argument("--polls", type=int, default=1000)
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument(
        "--profile", type=Path, help="record the server with py-spy in the runs with readers"
    )
    parser.add_argument(
        "--parts",
        action="store_true",
        help="also run with the long polls alone and the streams alone (what each costs)",
    )
    args = parser.parse_args()
    limit = raise_descriptor_limit()
    print(f"open-file limit {limit}; {args.polls} long polls, {args.streams} streams")
    count, conns = max(20, int(WORKLOAD_B[0] * args.scale)), WORKLOAD_B[1]
    variants = [("alone", 0, 0), ("readers", args.polls, args.streams)]
    if args.parts:
        variants[1:1] = [("polls", args.polls, 0), ("streams", 0, args.streams)]
    results: dict[str, list[dict[str, float]]] = {name: [] for name, _, _ in variants}
    with tempfile.TemporaryDirectory(prefix="mailyard-readers-") as tmp:
        for rep in range(args.reps):
            for name, polls, streams in variants:
                folder = Path(tmp) / f"{rep}-{name}"
                folder.mkdir()
                profile = args.profile if name == "readers" else None
                result = run_once(folder, polls, streams, count, conns, profile)
                results[name].append(result)
                print(
                    f"  rep {rep} {name:8} {result['rate']:6.0f} msg/s  ack p50/p99 "
                    f"{result['p50_ms']:.1f}/{result['p99_ms']:.1f} ms  "
                    f"CPU {result['cpu_ms']:.2f} ms/msg  polls answered {result['answered']:.0f}  "
                    f"stream updates {result['updates']:.0f}",
                    flush=True,
                )
        bare = [run_bare(Path(tmp) / f"bare-{rep}", count, conns) for rep in range(args.reps)]
    alone = results["alone"]
    print()
    print(
        f"{'':8} {'msg/s':>7} {'ack p50 ms':>10} {'ack p99 ms':>10} {'CPU ms/msg':>10} "
        f"{'server CPU':>10} {'cost':>6} {'reader CPU ms/s':>15}"
    )
    for name, runs in results.items():
        # The cost in msg/s, paired by rep; and the server CPU the readers took per second
        # (ms/msg more than alone, times the msg/s), which does not depend on how busy the
        # machine's other processes keep the cores.
        cost = median([1 - r["rate"] / a["rate"] for a, r in zip(alone, runs, strict=True)])
        extra = median(
            [(r["cpu_ms"] - a["cpu_ms"]) * r["rate"] for a, r in zip(alone, runs, strict=True)]
        )
        print(
            f"{name:8} {median([r['rate'] for r in runs]):7.0f} "
            f"{median([r['p50_ms'] for r in runs]):10.2f} "
            f"{median([r['p99_ms'] for r in runs]):10.2f} "
            f"{median([r['cpu_ms'] for r in runs]):10.2f} "
            f"{median([r['busy'] for r in runs]):10.0%} {cost:6.1%} {extra:15.0f}"
        )
    print(
        f"floor: a bare aiosmtpd that only answers 250 (bench/bare_aiosmtpd.py), the same load: "
        f"{median([b['rate'] for b in bare]):.0f} msg/s, ack p50/p99 "
        f"{median([b['p50_ms'] for b in bare]):.2f}/{median([b['p99_ms'] for b in bare]):.2f} ms"
    )
    print(
        "goals: the readers cost < 10 % of msg/s, ack p99 with readers < 20 ms. 'server CPU' "
        "is the server's share of one core during the load: under 100 % the machine, not the "
        "server, set the pace."
    )


if __name__ == "__main__":
    main()
