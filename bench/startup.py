"""Cold start: from `mailyard serve` launched to `/readyz` answering 200, beside MailDev's.

    python bench/startup.py [--runs 10] [--node-dir DIR] [--no-maildev]

Each run starts `python -m mailyard.web serve` on port 0 with a new database in a temporary
folder, reads the ports from its ready line, and asks `/readyz` until it answers 200; then stops
it (SIGINT) and waits for its exit. The figure is the median of --runs runs, after one warm-up
run that writes the bytecode: "with bytecode cached", as an installed package is. Bytecode goes
to its own folder (PYTHONPYCACHEPREFIX), so a PYTHONDONTWRITEBYTECODE in the environment (this
repository's tools set it) cannot make every run compile from source, and nothing is written
into the source tree.

Wall time depends on what else the machine runs, so each run also reports the CPU time the
server used until ready (from /proc): on a busy machine that is the steadier figure. The
interpreters' own floors (`python -c pass`, `node -e 0`) are printed for scale, and so is the
time the interpreter takes to import the libraries `mailyard serve` is built on (uvicorn,
Starlette, aiosmtpd, click, asyncio, sqlite3) and exit: no start of ours can be faster.

MailDev (`maildev`, the npm package, run with node) is timed the same way to its
`/api/healthz` (`/healthz` before 3.0) on free ports. It is installed from npm on first use into
--node-dir/maildev: a folder of its own, because `npm install --prefix` prunes packages that
folder's package.json does not list (bench/providers.py keeps its SES peer in --node-dir).
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

MAILDEV_VERSION = "3.0.0"
# What `mailyard serve` cannot start without: the floor under any start of ours.
LIBRARIES = "import asyncio, sqlite3, click, uvicorn, starlette.applications, aiosmtpd.smtp"
READY = re.compile(rb"web and API on http://\[?[0-9a-f.:]+\]?:(\d+)/")
DEADLINE = 60.0  # seconds a start may take before the run is called failed
POLL = 0.002  # seconds between checks: fine enough for a 100 ms start, cheap enough not to skew it


@dataclass(frozen=True)
class Start:
    """One start: seconds until ready, and the CPU seconds the server used until then."""

    wall: float
    cpu: float


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a live process (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers(port: int, path: str) -> bool:
    """Whether GET `path` on loopback `port` answers 200 now."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", path)
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def mailyard_start(folder: Path, env: dict[str, str]) -> Start:
    """Start `mailyard serve` on port 0; the time until its /readyz answers."""
    log = folder / "serve.log"
    with log.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "mailyard.web", "serve", "--smtp-port", "0",
             "--http-port", "0", "--db", str(folder / "mailyard.db")],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
    try:
        port = None
        while time.perf_counter() - started < DEADLINE and process.poll() is None:
            if port is None and (match := READY.search(log.read_bytes())):
                port = int(match.group(1))
            if port is not None and answers(port, "/readyz"):
                return Start(time.perf_counter() - started, cpu_seconds(process.pid))
            time.sleep(POLL)
        raise RuntimeError("mailyard serve did not become ready:\n" + log.read_text())
    finally:
        stop(process)


def maildev_start(cli: Path, folder: Path) -> Start:
    """Start MailDev on free loopback ports; the time until its health check answers."""
    smtp, web = free_port(), free_port()
    log = folder / "maildev.log"
    with log.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            ["node", str(cli), "--smtp", str(smtp), "--web", str(web),
             "--ip", "127.0.0.1", "--web-ip", "127.0.0.1"],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        while time.perf_counter() - started < DEADLINE and process.poll() is None:
            if answers(web, "/api/healthz") or answers(web, "/healthz"):
                return Start(time.perf_counter() - started, cpu_seconds(process.pid))
            time.sleep(POLL)
        raise RuntimeError("MailDev did not become ready:\n" + log.read_text())
    finally:
        stop(process)


def install_maildev(node_dir: Path) -> Path | None:
    """MailDev's command-line script, installed from npm on first use; None if it cannot be."""
    prefix = node_dir / "maildev"
    cli = prefix / "node_modules" / "maildev" / "dist" / "bin" / "maildev.js"
    if not cli.exists():
        if not shutil.which("npm") or not shutil.which("node"):
            print("MailDev: node and npm are not installed; MailDev is left out", file=sys.stderr)
            return None
        prefix.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error",
             "--prefix", str(prefix), f"maildev@{MAILDEV_VERSION}"],
            capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode != 0 or not cli.exists():
            print(f"MailDev: npm install failed; left out\n{done.stderr}", file=sys.stderr)
            return None
    return cli


def floor(command: list[str], runs: int, env: dict[str, str] | None = None) -> float:
    """Median seconds of a command that starts an interpreter and exits (after one run that
    writes its bytecode)."""
    times = []
    for _ in range(runs + 1):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - started)
    return statistics.median(times[1:])


def summary(name: str, starts: list[Start], interpreter: float) -> str:
    walls = sorted(s.wall * 1000 for s in starts)
    cpu = statistics.median(s.cpu * 1000 for s in starts)
    return (
        f"{name:10} {statistics.median(walls):9.0f} {walls[0]:8.0f} {walls[-1]:8.0f} "
        f"{cpu:12.0f} {interpreter * 1000:17.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument(
        "--node-dir", type=Path, default=Path(tempfile.gettempdir()) / "mailyard-bench-node"
    )
    parser.add_argument("--no-maildev", action="store_true", help="time mailyard only")
    args = parser.parse_args()
    cli = None if args.no_maildev else install_maildev(args.node_dir)
    results: dict[str, list[Start]] = {"mailyard": [], "MailDev": []}
    with tempfile.TemporaryDirectory(prefix="mailyard-startup-") as tmp:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        for run in range(args.runs + 1):  # run 0 warms up: bytecode, page cache
            for name in ("mailyard", "MailDev") if cli else ("mailyard",):
                folder = Path(tmp) / f"{name}-{run}"
                folder.mkdir()
                start = mailyard_start(folder, env) if name == "mailyard" else None
                if start is None and cli is not None:
                    start = maildev_start(cli, folder)
                assert start is not None
                if run:
                    results[name].append(start)
                    print(f"  run {run:2} {name:8} {start.wall * 1000:6.0f} ms", flush=True)
        python_floor = floor([sys.executable, "-c", "pass"], args.runs)
        libraries_floor = floor([sys.executable, "-c", LIBRARIES], args.runs, env)
    print(
        f"\n{'server':10} {'median ms':>9} {'min ms':>8} {'max ms':>8} {'CPU ms (med)':>12} "
        f"{'interpreter ms':>17}"
    )
    print(summary("mailyard", results["mailyard"], python_floor))
    if cli is not None:
        print(summary("MailDev", results["MailDev"], floor(["node", "-e", "0"], args.runs)))
    print(
        "start to ready: mailyard serve to /readyz 200, MailDev to its health check 200; "
        "interpreter: python -c pass / node -e 0"
    )
    print(
        f"floor: the interpreter importing the libraries mailyard serves with ({LIBRARIES[7:]}) "
        f"and exiting takes {libraries_floor * 1000:.0f} ms, before any code of ours"
    )


if __name__ == "__main__":
    main()
