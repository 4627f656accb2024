"""Deleting finished tests' mail in the background: all of it by the flush, failures kept."""

from __future__ import annotations

import socket
import threading

import pytest
from support.mail import make_message, send

from mailyard.web.testing.cleanup import Cleaner, Leftovers
from mailyard.web.testing.client import MailyardClient
from mailyard.web.testing.errors import ServiceError
from mailyard.web.testing.inbox import Inbox
from mailyard.web.testing.inprocess import InProcessServer
from mailyard.web.testing.service import MailyardServer
from mailyard.web.testing.transport import HttpTransport


def test_a_flush_waits_for_every_cleanup(
    server: InProcessServer, mail_server: MailyardServer
) -> None:
    cleaner = Cleaner(mail_server.client)
    inboxes = [Inbox.open(mail_server, cleaner=cleaner) for _ in range(3)]
    for inbox in inboxes:
        send(server, make_message(to=inbox.address("jane")))
        send(server, make_message(subject="boxed"), mailbox=inbox.mailbox)
    send(server, make_message(subject="not theirs", to="bystander@example.com"))
    for inbox in inboxes:
        inbox.close()
    cleaner.flush()
    client = mail_server.client
    for inbox in inboxes:
        assert client.ids(query=f"addressed:{inbox.token}") == []
        assert client.ids(mailbox=inbox.mailbox) == []
    assert client.ids(query="addressed:bystander@example.com")
    cleaner.close()
    assert not any(t.name == "mailyard-cleanup" for t in threading.enumerate())


def test_a_failed_cleanup_is_raised_by_the_flush() -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    client = MailyardClient(HttpTransport(f"http://127.0.0.1:{port}"))
    cleaner = Cleaner(client)
    cleaner.submit(Leftovers(token="0123456789ab"))
    with pytest.raises(ServiceError, match=r"deleting the tests' mail failed 1 time\(s\); first: "):
        cleaner.close()
    cleaner.flush()  # reported once


def test_nothing_to_clean_starts_no_thread(mail_server: MailyardServer) -> None:
    cleaner = Cleaner(mail_server.client)
    Inbox.open(mail_server, cleaner=cleaner).close()
    assert not any(t.name == "mailyard-cleanup" for t in threading.enumerate())
    cleaner.close()
