"""Nothing acknowledged is lost: crashes, store faults and a full disk."""

from __future__ import annotations

import asyncio
import base64
import os
import random
import signal
import smtplib
import sqlite3
import threading
from pathlib import Path

import pytest
from conftest import start_server

from mailyard.sandbox.capture.smtp import SMTPConfig, listen, start_smtp
from mailyard.sandbox.store import Store
from mailyard.sandbox.store.records import Envelope
from mailyard.web.app import smtp_config
from mailyard.web.settings import Settings


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


async def _smtp_exchange(port: int, data: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)

    async def reply() -> bytes:
        lines = b""
        while True:
            line = await reader.readline()
            lines += line
            if line[3:4] != b"-":
                return lines

    await reply()
    for command in (
        b"EHLO t\r\n",
        b"MAIL FROM:<a@example.com>\r\n",
        b"RCPT TO:<b@example.com>\r\n",
        b"DATA\r\n",
    ):
        writer.write(command)
        await reply()
    writer.write(data + b"\r\n.\r\n")
    result = await reply()
    writer.close()
    return result


def test_store_fault_answers_451_without_internal_text(tmp_path: Path) -> None:
    async def go() -> bytes:
        store = Store(str(tmp_path / "fault.db"))
        store.open()
        sock = listen("127.0.0.1", 0)
        server, _ = await start_smtp(store, SMTPConfig(), sock)
        store.close()  # the store is gone: every write now fails
        try:
            return await _smtp_exchange(sock.getsockname()[1], b"Subject: doomed\r\n\r\nx")
        finally:
            server.close()

    reply = asyncio.run(go())
    assert reply.startswith(b"451 4.3.0")
    assert b"Error" not in reply and b"closed" not in reply


def test_full_disk_answers_452_and_ingest_resumes_after_pruning(tmp_path: Path) -> None:
    async def go() -> list[bytes]:
        store = Store(str(tmp_path / "full.db"), max_pages=60)
        store.open()
        sock = listen("127.0.0.1", 0)
        server, _ = await start_smtp(store, SMTPConfig(), sock)
        port = sock.getsockname()[1]
        replies = []
        try:
            for i in range(40):
                replies.append(
                    await _smtp_exchange(port, b"Subject: fill %d\r\n\r\n" % i + b"z" * 20000)
                )
                if replies[-1].startswith(b"452"):
                    break
            await store.delete(None)  # make room: the next message is accepted again
            replies.append(await _smtp_exchange(port, b"Subject: after\r\n\r\nsmall"))
        finally:
            server.close()
            store.close()
        return replies

    replies = asyncio.run(go())
    assert replies[-2].startswith(b"452 4.3.1"), replies[-3:]
    assert replies[-1].startswith(b"250")
    assert all(r.startswith(b"250") for r in replies[:-2])


def test_clear_text_auth_is_refused_on_a_non_loopback_listener(tmp_path: Path) -> None:
    assert smtp_config(Settings(host="0.0.0.0")).auth_require_tls is True
    assert smtp_config(Settings(host="192.168.1.20")).auth_require_tls is True
    assert smtp_config(Settings(host="127.0.0.1")).auth_require_tls is False
    assert smtp_config(Settings(host="::1")).auth_require_tls is False

    async def go() -> tuple[bytes, bytes]:
        store = Store(":memory:")
        store.open()
        sock = listen("127.0.0.1", 0)  # bound on loopback, configured as a public listener would be
        server, _ = await start_smtp(store, smtp_config(Settings(host="0.0.0.0")), sock)
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", sock.getsockname()[1])
            await reader.readline()
            writer.write(b"EHLO t\r\n")
            ehlo = b""
            while not ehlo.endswith(b"250 HELP\r\n"):
                ehlo += await reader.readline()
            writer.write(b"AUTH PLAIN " + base64.b64encode(b"\0u\0p") + b"\r\n")
            auth = await reader.readline()
            writer.close()
            return ehlo, auth
        finally:
            server.close()
            store.close()

    ehlo, auth = asyncio.run(go())
    assert b"AUTH" not in ehlo
    assert auth.startswith(b"538")


def test_envelope_is_kept_and_raw_bytes_are_never_rewritten(tmp_path: Path) -> None:
    with Store(str(tmp_path / "env.db")) as store:
        raw = b"Subject: =?utf-8?q?caf=C3=A9?=\r\nTo: a@example.com\r\n\r\nbody\r\n"
        stored = store.ingest_sync(
            raw, Envelope("s@example.com", ("a@example.com", "hidden@example.com"), tls=True)
        )
        row = store.reader.execute(
            "SELECT subject, bcc_json, tls FROM messages WHERE seq = ?", (stored.seq,)
        ).fetchone()
        data = store.reader.execute(
            "SELECT raw FROM message_data WHERE seq = ?", (stored.seq,)
        ).fetchone()[0]
    assert row["subject"] == "café" and row["tls"] == 1
    assert "hidden@example.com" in row["bcc_json"]
    assert bytes(data) == raw


def test_retention_by_age_removes_only_old_messages(tmp_path: Path) -> None:
    import time

    from mailyard.sandbox.store import Retention, queries

    with Store(str(tmp_path / "age.db"), retention=Retention(max_age=3600)) as store:
        old = store.ingest_sync(b"Subject: old\r\n\r\nx", Envelope("a@x", ("b@x",)))
        store.ingest_sync(b"Subject: new\r\n\r\nx", Envelope("a@x", ("b@x",)))
        store.writer.call(
            lambda conn: conn.execute(
                "UPDATE messages SET created_ts = ? WHERE seq = ?", (time.time() - 7200, old.seq)
            )
        )
        removed = asyncio.run(store.prune_by_age())
        page = queries.list_page(store.reader, mailbox=None, start=0, limit=10)
        leftovers = store.reader.execute("SELECT count(*) FROM message_data").fetchone()[0]
    assert removed == 1 and [m.subject for m in page.messages] == ["new"]
    assert page.total == 1 and leftovers == 1  # no orphaned raw bytes, counts kept right
