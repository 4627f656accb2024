"""Clients written for Mailpit, unchanged, against the real `mailyard serve` over HTTP."""

from __future__ import annotations

from email.message import EmailMessage

from support.mail import make_message, send
from support.servers import Process


def _with_attachment(subject: str) -> EmailMessage:
    msg = make_message(subject=subject, html="<p>Hi <img src='cid:logo' alt='logo'></p>")
    msg.add_attachment(
        b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="invoice.pdf"
    )
    return msg


def test_a_mailpit_client_library_works_unchanged(server: Process, mailbox: str) -> None:
    from mailpit.client.api import API

    send(server, _with_attachment(f"mailpit client {mailbox}"), mailbox)
    client = API(server.url, timeout=10)
    listed = client.get_messages(limit=200)
    mine = [m for m in listed.messages if m.subject == f"mailpit client {mailbox}"]
    assert len(mine) == 1
    full = client.get_message(mine[0].id)
    assert full.attachments[0].file_name == "invoice.pdf"
    assert client.get_message_attachment(full.id, full.attachments[0].part_id) == "%PDF-1.4 fake"
    assert full.text.strip() == "Hello there"
