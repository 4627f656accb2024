"""The SMTP sink when the store fails: reply codes that say what is wrong, nothing acknowledged
that was not stored."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

from support.smtpwire import smtp_exchange

from mailyard.sandbox import SMTPConfig, Store, listen, start_smtp
from mailyard.web.app import smtp_config
from mailyard.web.settings import Settings


async def test_store_fault_answers_451_without_internal_text(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "fault.db"))
    store.open()
    sock = listen("127.0.0.1", 0)
    server, handler = await start_smtp(store.messages.ingest, SMTPConfig(), sock)
    store.close()  # the store is gone: every write now fails
    try:
        reply = await smtp_exchange(sock.getsockname()[1], b"Subject: doomed\r\n\r\nx")
    finally:
        server.close()
        handler.close_sessions()
    assert reply.startswith(b"451 4.3.0")
    assert b"Error" not in reply and b"closed" not in reply


async def test_full_disk_answers_452_and_ingest_resumes_after_pruning(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "full.db"), max_pages=120)
    store.open()
    sock = listen("127.0.0.1", 0)
    server, handler = await start_smtp(store.messages.ingest, SMTPConfig(), sock)
    port = sock.getsockname()[1]
    replies = []
    try:
        for i in range(80):
            replies.append(
                await smtp_exchange(port, b"Subject: fill %d\r\n\r\n" % i + b"z" * 20000)
            )
            if replies[-1].startswith(b"452"):
                break
        await store.messages.delete(None)  # make room: the next message is accepted again
        replies.append(await smtp_exchange(port, b"Subject: after\r\n\r\nsmall"))
    finally:
        server.close()
        handler.close_sessions()
        store.close()
    assert replies[-2].startswith(b"452 4.3.1"), replies[-3:]
    assert replies[-1].startswith(b"250")
    assert all(r.startswith(b"250") for r in replies[:-2])


async def test_clear_text_auth_is_refused_on_a_non_loopback_listener() -> None:
    assert smtp_config(Settings(host="0.0.0.0")).auth_require_tls is True
    assert smtp_config(Settings(host="192.168.1.20")).auth_require_tls is True
    assert smtp_config(Settings(host="127.0.0.1")).auth_require_tls is False
    assert smtp_config(Settings(host="::1")).auth_require_tls is False
    store = Store(":memory:")
    store.open()
    sock = listen("127.0.0.1", 0)  # bound on loopback, configured as a public listener would be
    server, handler = await start_smtp(
        store.messages.ingest, smtp_config(Settings(host="0.0.0.0")), sock
    )
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
        await writer.wait_closed()
    finally:
        server.close()
        handler.close_sessions()
        store.close()
    assert b"AUTH" not in ehlo
    assert auth.startswith(b"538")
