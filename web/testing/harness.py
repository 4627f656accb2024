"""Running `mailyard serve` as a child process: for test suites (ours and yours) and benchmarks.

from mailyard.web.testing.harness import ServerProcess
server = ServerProcess.start(tmp_path)         # any free ports, its own database
smtp_port, api = server.smtp_port, server.url  # point the app under test here
...
server.stop()                                  # SIGINT, a clean shutdown, its exit code
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

READY = re.compile(
    r"SMTP on \[?[0-9a-f.:]+\]?:(\d+), web and API on http://\[?[0-9a-f.:]+\]?:(\d+)/"
)


@dataclass
class ServerProcess:
    """A running `mailyard serve`, its ports and where it writes."""

    process: subprocess.Popen[bytes]
    smtp_port: int
    http_port: int
    db: Path
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @classmethod
    def start(
        cls,
        folder: Path,
        *args: str,
        db: Path | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 30,
    ) -> ServerProcess:
        """Start on free ports with a database in `folder`; waits (bounded) for the ready line."""
        db = db or folder / "mailyard.db"
        log = folder / f"mailyard-{uuid.uuid4().hex[:8]}.log"
        command = [
            sys.executable,
            "-m",
            "mailyard.web",
            "serve",
            "--smtp-port",
            "0",
            "--http-port",
            "0",
            "--db",
            str(db),
            "--exit-with-parent",  # a killed test run leaves no server behind
            *args,
        ]
        with log.open("wb") as out:
            process = subprocess.Popen(  # noqa: S603 - our own command line
                command,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = READY.search(log.read_text(errors="replace"))
            if match:
                return cls(process, int(match.group(1)), int(match.group(2)), db, log)
            if process.poll() is not None:
                raise RuntimeError(f"mailyard exited with {process.returncode}:\n{log.read_text()}")
            time.sleep(0.02)
        process.kill()
        raise RuntimeError(f"mailyard did not become ready in {timeout:g} s:\n{log.read_text()}")

    def stop(self, sig: int = signal.SIGINT, timeout: float = 20) -> int:
        """Stop it (SIGINT by default) and return its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace")
