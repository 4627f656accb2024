"""Webhook delivery: its cost to ingest, fan-out throughput, and isolation from a hanging endpoint.

    python bench/webhooks.py [--reps 3] [--parts a,b,c] [--scale 1.0]

a: ingest.py's workload b (5,000 x 2 KB over 20 connections) with the simulator on and one
   webhook endpoint registered, against the simulator off, alternated in one run (goal >= 0.95x).
b: fan-out: the simulator's events (Send, Delivery per message) delivered to 10 Resend-format
   endpoints; events/s from the first message sent to the last delivery received
   (goal >= 1,000 events/s, i.e. 10,000 signed POSTs/s).
c: one endpoint hangs (accepts, reads, never answers) beside 9 healthy ones: the healthy ones'
   delivery latency at a steady 200 messages/s (400 events/s), p50/p99 from the event's own
   `created_at` to its arrival (goal p99 < 50 ms), and workload b's ingest rate with the hanging
   endpoint registered against none (goal: unchanged).

The endpoints are served by a lean HTTP sink in its own process (`--sink`), one port each, so
the sink's cost is not mailyard's; every request is counted, and each run waits until the sink
has every delivery. Prints each figure beside its goal.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import httpx
import loadgen
from common import ROOT, Proc, median, percentile, small_message, start_mailyard
from ingest import measure, verify_stored

SINK_OK = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
DRAIN_TIMEOUT = 300.0


# -- the sink (its own process) ---------------------------------------------------------------------


class _Sink(asyncio.Protocol):
    """Answers each POST 200 at once (or never, when hanging); records when each came and the
    `created_at` of the event it carried."""

    def __init__(self, stats: dict[str, list[float]], hang: bool) -> None:
        self.stats, self.hang = stats, hang
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.port = str(transport.get_extra_info("sockname")[1])

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buffer[:head_end].lower()
            at = head.find(b"content-length:")
            length = int(head[at + 15 : head.find(b"\r\n", at)]) if at >= 0 else 0
            end = head_end + 4 + length
            if len(self.buffer) < end:
                return
            body, self.buffer = self.buffer[head_end + 4 : end], self.buffer[end:]
            now = time.time()
            self.stats.setdefault(self.port, []).append(now - _created_at(body, now))
            if not self.hang:
                self.transport.write(SINK_OK)  # type: ignore[attr-defined]


def _created_at(body: bytes, default: float) -> float:
    """The envelope's `created_at` (Resend's payload: the event's time), without parsing JSON."""
    at = body.find(b'"created_at":"')
    if at < 0:
        return default
    text = body[at + 14 : body.find(b'"', at + 14)].decode()
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


async def _serve_sink(ports: int, hang: int) -> None:
    stats: dict[str, list[float]] = {}
    loop = asyncio.get_running_loop()
    servers = [
        await loop.create_server(
            lambda hanging=i >= ports: _Sink(stats, hanging), "127.0.0.1", 0, backlog=1024
        )
        for i in range(ports + hang)
    ]
    numbers = [s.sockets[0].getsockname()[1] for s in servers]

    async def control(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        command = (await reader.readline()).strip()
        if command == b"stats":
            writer.write(json.dumps(stats).encode() + b"\n")
        elif command == b"reset":
            stats.clear()
            writer.write(b"ok\n")
        await writer.drain()
        writer.close()

    controller = await asyncio.start_server(control, "127.0.0.1", 0)
    ready = {"ports": numbers[:ports], "hang": numbers[ports:]}
    ready["control"] = controller.sockets[0].getsockname()[1]
    print(json.dumps(ready), flush=True)
    await asyncio.Event().wait()


class Sink:
    """The sink process, from the bench's side."""

    def __init__(self, ports: int, hang: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--sink", str(ports), "--hang", str(hang)],
            stdout=subprocess.PIPE,
        )
        assert self.process.stdout is not None
        ready = json.loads(self.process.stdout.readline())
        self.ports: list[int] = ready["ports"]
        self.hang: list[int] = ready["hang"]
        self.control: int = ready["control"]

    def _ask(self, command: str) -> str:
        import socket

        with socket.create_connection(("127.0.0.1", self.control)) as sock:
            sock.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(1 << 20):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def stats(self) -> dict[str, list[float]]:
        found: dict[str, list[float]] = json.loads(self._ask("stats"))
        return found

    def reset(self) -> None:
        self._ask("reset")

    def received(self, ports: list[int] | None = None) -> int:
        chosen = {str(p) for p in ports or self.ports}
        return sum(len(v) for p, v in self.stats().items() if p in chosen)

    def wait(self, count: int, timeout: float = DRAIN_TIMEOUT) -> float:
        """Block until the healthy ports have `count` requests; returns when (time.time())."""
        deadline = time.monotonic() + timeout
        while (got := self.received()) < count:
            if time.monotonic() > deadline:
                raise SystemExit(f"the sink got {got} of {count} deliveries")
            time.sleep(0.01)
        return time.time()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


# -- the bench --------------------------------------------------------------------------------------


def register(proc: Proc, ports: list[int]) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{proc.http_port}", timeout=30) as api:
        for port in ports:
            made = api.post(
                "/api/v1/webhooks",
                json={"url": f"http://127.0.0.1:{port}/hook", "format": "resend"},
            )
            made.raise_for_status()


def part_a(folder: Path, reps: int, scale: float) -> None:
    count = max(20, int(5000 * scale))
    body = small_message()
    rates: dict[str, list[float]] = {"off": [], "on+1": []}
    cpu: dict[str, list[float]] = {"off": [], "on+1": []}  # server CPU us per message
    drain: list[float] = []
    sink = Sink(1, 0)
    try:
        for rep in range(reps):
            for mode in ("off", "on+1"):
                sink.reset()
                args = ("--no-simulator",) if mode == "off" else ()
                proc = start_mailyard(folder / f"a-{rep}-{mode}.db", *args)
                try:
                    if mode == "on+1":
                        register(proc, sink.ports)
                    cpu0 = proc.cpu_seconds()
                    result = measure(proc, body, count, 20, False)
                    ended = time.time()
                    cpu[mode].append((proc.cpu_seconds() - cpu0) * 1e6 / count)
                    verify_stored(proc, count)
                    if mode == "on+1":
                        drain.append(sink.wait(2 * count) - ended)
                finally:
                    proc.stop()
                rates[mode].append(result["rate"])
                print(
                    f"  a rep {rep} {mode:5} {result['rate']:7.0f} msg/s, "
                    f"{cpu[mode][-1]:.0f} us CPU per message",
                    flush=True,
                )
    finally:
        sink.stop()
    ratio = median([on / off for on, off in zip(rates["on+1"], rates["off"], strict=True)])
    print(
        f"a: ingest, simulator off {median(rates['off']):.0f} msg/s, on + 1 webhook "
        f"{median(rates['on+1']):.0f} msg/s: {ratio:.2f}x (goal >= 0.95x); its "
        f"{2 * count} events delivered {median(drain):.1f} s after the last message"
    )
    print(
        f"   server CPU per message while ingesting: off {median(cpu['off']):.0f} us, on + 1 "
        f"webhook {median(cpu['on+1']):.0f} us (the rate's ratio on a loop at 100 % of a core)"
    )


def part_b(folder: Path, reps: int, scale: float) -> None:
    count = max(20, int(2000 * scale))
    events = 2 * count
    body = small_message()
    results = []
    sink = Sink(10, 0)
    try:
        for rep in range(reps):
            sink.reset()
            proc = start_mailyard(folder / f"b-{rep}.db")
            try:
                register(proc, sink.ports)
                cpu0, started = proc.cpu_seconds(), time.time()
                asyncio.run(loadgen.run(proc.smtp_port, body, count, 20, False))
                done = sink.wait(events * 10)
                cpu = proc.cpu_seconds() - cpu0
            finally:
                proc.stop()
            rate = events / (done - started)
            results.append(rate)
            print(
                f"  b rep {rep} {rate:7.0f} events/s ({rate * 10:.0f} POSTs/s, "
                f"{cpu * 1e6 / (events * 10):.0f} us CPU per POST)",
                flush=True,
            )
    finally:
        sink.stop()
    floor = Sink(10, 0)  # a fresh sink: its counts start at 0
    try:
        posts, cpu_per_post = asyncio.run(_bare_posts(floor.ports, events * 10 // 4))
    finally:
        floor.stop()
    print(
        f"b: fan-out to 10 endpoints {median(results):.0f} events/s sustained "
        f"({count} messages, {events} events, {events * 10} deliveries; goal >= 1,000 events/s)"
    )
    print(
        f"   floor: a bare asyncio client sending ready-made POSTs to the same sink, 10 "
        f"connections per endpoint, no signing, no storage: {posts:.0f} POSTs/s = "
        f"{posts / 10:.0f} events/s ({cpu_per_post:.0f} us CPU per POST)"
    )


class _BareClient(asyncio.Protocol):
    """Sends one ready-made POST, waits for its answer, sends the next, until `left` is empty."""

    def __init__(self, request: bytes, left: list[int], done: asyncio.Future[None]) -> None:
        self.request, self.left, self.done = request, left, done
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast("asyncio.Transport", transport)
        self._next()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            self.buffer = self.buffer[end + 4 :]
            self._next()

    def _next(self) -> None:
        if self.left[0] <= 0:
            self.transport.close()
            if not self.done.done():
                self.done.set_result(None)
            return
        self.left[0] -= 1
        self.transport.write(self.request)


async def _bare_posts(ports: list[int], count: int) -> tuple[float, float]:
    """What one Python process on this machine can POST to the sink: the ceiling of any
    dispatcher written in Python here (POSTs/s, CPU us per POST)."""
    created = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    body = (
        json.dumps(
            {"type": "email.delivered", "created_at": created, "data": {"email_id": "x" * 36}}
        ).encode()
        + b" " * 600
    )  # about the size of a Resend event
    loop = asyncio.get_running_loop()
    left = [count]
    done: list[asyncio.Future[None]] = []
    cpu0, started = time.process_time(), time.perf_counter()
    for port in ports:
        request = (
            f"POST /hook HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\ncontent-type: application/json"
            f"\r\ncontent-length: {len(body)}\r\n\r\n"
        ).encode() + body
        for _ in range(10):
            future: asyncio.Future[None] = loop.create_future()
            done.append(future)
            await loop.create_connection(
                lambda r=request, f=future: _BareClient(r, left, f), "127.0.0.1", port
            )
    await asyncio.gather(*done)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu0
    return count / wall, cpu * 1e6 / count


async def _steady(port: int, body: bytes, count: int, per_second: float) -> None:
    """`count` messages at `per_second`, over 4 connections."""
    block = loadgen.data_block(body)
    sessions = [await loadgen.Session.open(port) for _ in range(4)]
    started = time.perf_counter()
    for i in range(count):
        delay = started + i / per_second - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await sessions[i % 4].send(block)
    for session in sessions:
        await session.close()


def part_c(folder: Path, reps: int, scale: float) -> None:
    body = small_message()
    steady = max(20, int(2000 * scale))
    burst = max(20, int(5000 * scale))
    latencies: list[float] = []
    hung = 0
    rates: dict[str, list[float]] = {"none": [], "hanging": []}
    sink = Sink(9, 1)
    try:
        for rep in range(reps):
            for mode in ("none", "hanging"):
                sink.reset()
                # A long timeout: the hanging endpoint holds its connections the whole run.
                proc = start_mailyard(folder / f"c-{rep}-{mode}.db", "--webhook-timeout", "600")
                try:
                    register(proc, sink.ports + (sink.hang if mode == "hanging" else []))
                    if mode == "hanging":
                        asyncio.run(_steady(proc.smtp_port, body, steady, 200))
                        sink.wait(2 * steady * 9)
                        stats = sink.stats()
                        latencies += [v for p in sink.ports for v in stats.get(str(p), [])]
                        hung = sink.received(sink.hang)
                        sink.reset()
                    result = measure(proc, body, burst, 20, False)
                    verify_stored(proc, (steady if mode == "hanging" else 0) + burst)
                finally:
                    proc.stop()
                rates[mode].append(result["rate"])
                print(f"  c rep {rep} {mode:7} ingest {result['rate']:7.0f} msg/s", flush=True)
    finally:
        sink.stop()
    ratio = median([h / n for h, n in zip(rates["hanging"], rates["none"], strict=True)])
    print(
        f"c: with one endpoint hanging ({hung} requests held), the 9 others' delivery latency "
        f"at 400 events/s p50 {percentile(latencies, 50) * 1000:.1f} ms, "
        f"p99 {percentile(latencies, 99) * 1000:.1f} ms (goal p99 < 50 ms); ingest "
        f"{median(rates['hanging']):.0f} msg/s against {median(rates['none']):.0f} without it: "
        f"{ratio:.2f}x (goal: unchanged)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--parts", default="a,b,c")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply message counts")
    parser.add_argument("--sink", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--hang", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink is not None:
        asyncio.run(_serve_sink(args.sink, args.hang))
        return
    parts = {"a": part_a, "b": part_b, "c": part_c}
    with tempfile.TemporaryDirectory(prefix="mailyard-bench-webhooks-") as tmp:
        for name in args.parts.split(","):
            parts[name](Path(tmp), args.reps, args.scale)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
