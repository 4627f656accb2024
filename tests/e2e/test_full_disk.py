"""The real service on a full disk (a 6 MB tmpfs): mail is refused with 452, deletes through the
API and the inbox still work and make room, and once the disk has room again mail is accepted
without a restart. Nothing acknowledged is lost."""

from __future__ import annotations

import base64
import random
import re
import smtplib
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.servers import start_process as start_server
from support.tmpfs import mounted_tmpfs

MB = 1024 * 1024


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A real 6 MB file system (tmpfs), so that writes fail with ENOSPC as on a full disk."""
    with mounted_tmpfs(tmp_path / "disk", megabytes=6) as mount:
        yield mount


def _report(n: int) -> bytes:
    """~30 KB that does not compress, as an attachment (the search index holds the text)."""
    data = base64.encodebytes(random.Random(n).randbytes(22_000)).replace(b"\n", b"\r\n")
    return (
        b"From: app@example.com\r\nTo: ci@example.com\r\nSubject: report %d\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n"
        b"Content-Type: text/plain\r\n\r\nyour report\r\n--B\r\nContent-Type: application/pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n%s--B--\r\n" % (n, data)
    )


def _send(smtp: smtplib.SMTP, n: int) -> int:
    """The reply code to DATA: 250 stored, 452 refused (a full disk)."""
    try:
        smtp.sendmail("app@example.com", ["ci@example.com"], _report(n))
    except smtplib.SMTPDataError as exc:
        assert exc.smtp_code == 452 and exc.smtp_error.startswith(b"4.3.1"), exc
        return 452
    return 250


def test_a_full_disk_is_cleared_from_the_api_and_the_inbox(tmp_path: Path, disk: Path) -> None:
    filler = disk / "build-artifacts"
    filler.write_bytes(b"x" * (2 * MB))
    srv = start_server(tmp_path, "--wal-limit", "1M", db=disk / "m.db")
    acked: list[str] = []
    try:
        with smtplib.SMTP("127.0.0.1", srv.smtp_port, timeout=10) as smtp, srv.api() as api:
            for n in range(400):  # far more than the disk holds
                if _send(smtp, n) == 452:
                    break
                acked.append(f"report {n}")
            assert 20 < len(acked) < 400
            assert _send(smtp, 1000) == 452  # still full
            sent = api.post(
                "/api/v1/send",
                json={
                    "From": {"Email": "app@example.com"},
                    "To": [{"Email": "ci@example.com"}],
                    "Subject": "by the API",
                    "Attachments": [
                        {"Content": base64.b64encode(_report(1001)).decode(), "Filename": "r.eml"}
                    ],
                },
            )
            assert sent.status_code == 503 and "full" in sent.text
            # /metrics counts what the store refused: the two 452s and the 503 at least.
            scraped = re.search(
                r"^mailyard_store_errors_total (\S+)$", api.get("/metrics").text, re.M
            )
            assert scraped is not None and float(scraped[1]) >= 3

            listed = api.get("/api/v1/messages", params={"limit": 20}).json()["messages"]
            ids = [m["ID"] for m in listed]
            # Deleting through the API, then as the inbox's Delete button does (same origin).
            assert api.request("DELETE", "/api/v1/messages", json={"IDs": ids[:8]}).is_success
            inbox = api.request(
                "DELETE",
                "/api/v1/messages",
                json={"IDs": ids[8:16]},
                headers={"Origin": srv.url, "Sec-Fetch-Site": "same-origin"},
            )
            assert inbox.is_success, inbox.text
            assert api.get("/").status_code == 200  # the inbox itself still renders
            deleted = {m["Subject"] for m in listed[:16]}
            acked = [s for s in acked if s not in deleted]

            # The room the deletes made takes mail again (once the WAL is folded back: until
            # then its end is the disk's end).
            for _ in range(100):
                if _send(smtp, 2000) == 250:
                    acked.append("report 2000")
                    break
                time.sleep(0.05)
            assert acked[-1] == "report 2000"

            # Space is freed elsewhere on the disk: mail is accepted again by itself, and the
            # database may grow past what the deletes freed.
            filler.unlink()
            n, refused = 3000, 0
            while len([s for s in acked if s.startswith("report 3")]) < 30:
                if _send(smtp, n) == 250:
                    acked.append(f"report {n}")
                else:
                    refused += 1
                    assert refused < 100, "mail was not accepted again after space was freed"
                    time.sleep(0.05)  # the store looks at the disk every 0.1 s
                n += 1
    finally:
        assert srv.stop() == 0, srv.output()
    conn = sqlite3.connect(disk / "m.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = {row[0] for row in conn.execute("SELECT subject FROM messages")}
    missing = [s for s in acked if s not in stored]
    assert not missing, f"{len(missing)} acknowledged messages lost, e.g. {missing[:5]}"
