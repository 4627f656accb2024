"""Helpers shared by the benchmarks: test messages, server processes and their resource use."""

from __future__ import annotations

import base64
import os
import random
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from mailyard.web.testing.harness import ServerProcess

ROOT = Path(__file__).resolve().parent.parent


def small_message(i: int = 0) -> bytes:
    """~2 KB: an order confirmation, multipart/alternative, about ten headers."""
    text = f"Hello customer {i},\r\n\r\nThank you for your order #{100000 + i}.\r\n" + (
        "Your items will ship within two business days. Track them in your account.\r\n" * 6
    )
    html = (
        "<html><body><p>Hello customer %d,</p>" % i
        + "<p>Thank you for your order.</p>" * 12
        + "</body></html>"
    )
    return (
        f"From: Shop <orders@shop.example>\r\nTo: Customer <customer{i}@example.com>\r\n"
        f"Subject: Your order #{100000 + i} is confirmed\r\nDate: Sat, 21 Nov 2026 09:00:00 +0000\r\n"
        f"Message-ID: <order-{i}@shop.example>\r\nMIME-Version: 1.0\r\nX-Mailer: bench\r\n"
        "Content-Type: multipart/alternative; boundary=BOUNDARY\r\n\r\n"
        "--BOUNDARY\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{text}\r\n--BOUNDARY\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n--BOUNDARY--\r\n"
    ).encode()


def large_message() -> bytes:
    """~200 KB: the small message as multipart/mixed with a 146 KB attachment, base64."""
    rng = random.Random(7)
    payload = bytes(rng.getrandbits(8) for _ in range(146 * 1024))
    encoded = base64.encodebytes(payload).replace(b"\n", b"\r\n")
    inner = small_message(1).split(b"\r\n\r\n", 1)[1]
    return (
        b"From: Shop <orders@shop.example>\r\nTo: customer@example.com\r\nSubject: Your invoice\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=OUTER\r\n\r\n--OUTER\r\n"
        b"Content-Type: multipart/alternative; boundary=BOUNDARY\r\n\r\n"
        + inner
        + b"\r\n--OUTER\r\n"
        b"Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=invoice.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + encoded + b"--OUTER--\r\n"
    )


@dataclass
class Proc:
    process: subprocess.Popen[bytes]
    smtp_port: int
    http_port: int = 0

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def status(self, key: str) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024  # MiB
        return 0.0

    def settle(self, quiet: float = 0.3, timeout: float = 20.0) -> None:
        """Wait until the server has used no CPU for `quiet` seconds: its start-up warm-up
        (web/warmup.py) is done, so a case measures the service as it runs, not as it starts."""
        deadline = time.monotonic() + timeout
        last, since = self.cpu_seconds(), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.05)
            now = self.cpu_seconds()
            if now - last > 0.01:  # more than a tick or so: still busy
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_mailyard(db: Path, *args: str) -> Proc:
    server = ServerProcess.start(db.parent, *args, db=db)
    return Proc(server.process, server.smtp_port, server.http_port)


def start_bare(folder: Path) -> Proc:
    log = folder / "bare.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "bare_aiosmtpd.py"), "0"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while not (match := re.search(r"port (\d+)", log.read_text())):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the bare server did not start: " + log.read_text())
        time.sleep(0.02)
    return Proc(process, int(match.group(1)))


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
