"""Clients written for Mailpit, unchanged, against the real `mailyard serve` over HTTP: every
method of the PyPI `mailpit-api-client` (the Node clients: test_node_clients.py)."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage

import httpx
from support.mail import make_message, send
from support.servers import Process


def _with_attachment(subject: str) -> EmailMessage:
    msg = make_message(subject=subject, html="<p>Hi <img src='cid:logo' alt='logo'></p>")
    # The client's Headers model requires these (on Mailpit too: it adds neither).
    msg["Delivered-To"] = "user@example.com"
    msg["Date"] = "Tue, 01 Jul 2025 10:00:00 +0200"
    msg.add_attachment(
        b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="invoice.pdf"
    )
    return msg


def _read(server: Process) -> dict[str, bool]:
    listed = httpx.get(f"{server.url}/api/v1/messages", params={"limit": 0}).json()
    return {m["ID"]: m["Read"] for m in listed["messages"]}


def test_every_method_of_the_python_client(server: Process, mailbox: str) -> None:
    from mailpit.client.api import API

    send(server, _with_attachment(f"mailpit client {mailbox}"), mailbox)
    send(server, make_message(subject=f"second {mailbox}"), mailbox)
    client = API(server.url, timeout=10)
    listed = client.get_messages(limit=200)
    mine = {m.subject: m for m in listed.messages if mailbox in m.subject}
    assert set(mine) == {f"mailpit client {mailbox}", f"second {mailbox}"}
    first, second = mine[f"mailpit client {mailbox}"], mine[f"second {mailbox}"]

    full = client.get_message(first.id)  # marks it read, as Mailpit does
    assert isinstance(full.date, datetime) and full.date.tzinfo is not None
    assert full.attachments[0].file_name == "invoice.pdf" and full.text.strip() == "Hello there"
    assert client.get_message_attachment(full.id, full.attachments[0].part_id) == "%PDF-1.4 fake"

    headers = client.get_message_headers(first.id)
    assert headers.message_id and headers.delivered_to == ["user@example.com"]

    client.put_messages([first.id], "Read", False)  # a form: ids=...&Read=false
    client.put_messages([second.id], "Read", True)
    read = _read(server)
    assert (read[first.id], read[second.id]) == (False, True)

    client.delete_messages([second.id])  # a form: ids=...
    assert set(_read(server)) >= {first.id} and second.id not in _read(server)
    client.delete_messages([])  # documented: every message
    assert _read(server) == {}
