"""Nothing acknowledged is lost when the process is killed mid-ingest (kill -9)."""

from __future__ import annotations

import os
import random
import signal
import smtplib
import sqlite3
import threading
from pathlib import Path

import pytest
from support.servers import start_process as start_server


def _sender(port: int, prefix: str, acked: list[str], stop: threading.Event) -> None:
    n = 0
    while not stop.is_set():
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
                while not stop.is_set():
                    subject = f"{prefix}-{n}"
                    body = f"Subject: {subject}\r\n\r\n" + "x" * random.randint(10, 5000) + "\r\n"
                    smtp.sendmail("a@example.com", ["b@example.com"], body.encode())
                    acked.append(subject)  # only after the 250
                    n += 1
        except (OSError, smtplib.SMTPException):
            return


@pytest.mark.slow
def test_kill_9_during_concurrent_ingest_loses_nothing_acknowledged(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    acked: list[str] = []
    for round_ in range(3):
        srv = start_server(tmp_path, db=db)
        stop = threading.Event()
        threads = [
            threading.Thread(target=_sender, args=(srv.smtp_port, f"r{round_}s{i}", acked, stop))
            for i in range(8)
        ]
        for t in threads:
            t.start()
        before = len(acked)
        # Wait (bounded) until the senders are well under way, then kill without warning.
        for _ in range(2000):
            if len(acked) - before >= 150 + random.randint(0, 150):
                break
            threading.Event().wait(0.005)
        os.kill(srv.process.pid, signal.SIGKILL)
        srv.process.wait(timeout=10)
        stop.set()
        for t in threads:
            t.join(timeout=10)
        assert len(acked) > before, srv.output()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = {row[0] for row in conn.execute("SELECT subject FROM messages")}
    missing = [s for s in acked if s not in stored]
    assert not missing, f"{len(missing)} acknowledged messages lost, e.g. {missing[:5]}"
    # And the store opens again by itself after the crash.
    srv = start_server(tmp_path, db=db)
    with srv.api() as api:
        assert api.get("/api/v1/messages").json()["total"] == len(stored)
    assert srv.stop() == 0
