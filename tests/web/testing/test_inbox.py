"""The `mailyard` fixture's object against a real mailyard: what a test sees, waits for and
leaves behind."""

from __future__ import annotations

import re
import smtplib
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from support.mail import make_message, send

from mailyard.web.testing.client import MailyardClient
from mailyard.web.testing.errors import NoMailError, UnexpectedMailError
from mailyard.web.testing.inbox import REPORT_LIMIT, Inbox
from mailyard.web.testing.inprocess import InProcessServer
from mailyard.web.testing.service import MailyardServer


def wait_until(condition: Callable[[], bool], bound: float = 10.0) -> None:
    deadline = time.monotonic() + bound
    while not condition():
        assert time.monotonic() < deadline, "the condition did not hold in time"
        time.sleep(0.005)


def test_mail_from_before_the_test_is_never_seen(
    server: InProcessServer, mail_server: MailyardServer
) -> None:
    early = Inbox(mail_server, token="0123456789ab")
    send(server, make_message(to=early.address("jane")))
    inbox = Inbox.open(mail_server, token="0123456789ab")
    inbox.assert_no_mail(to=inbox.address("jane"), within=0)
    with pytest.raises(NoMailError, match="No mail at all arrived during this test"):
        inbox.wait_for(to=inbox.address("jane"), timeout=0)
    early.close()  # its mail goes, as the fixture's would


def test_wait_for_returns_mail_sent_while_it_waits(server: InProcessServer, inbox: Inbox) -> None:
    email = inbox.address("jane")
    assert server.services is not None
    waiters = server.services.waiters

    def sender() -> None:
        wait_until(lambda: len(waiters) > 0)  # the long poll is open
        send(server, make_message(subject="Reset your password", to=email))

    thread = threading.Thread(target=sender)
    thread.start()
    mail = inbox.wait_for(to=email, subject="reset YOUR")
    thread.join()
    assert mail.subject == "Reset your password" and mail.to == [email]


def test_a_wait_longer_than_one_long_poll_asks_again(
    server: InProcessServer, transport: Any
) -> None:
    client = MailyardClient(transport, max_wait=0.05)
    inbox = Inbox.open(MailyardServer(server.url, "127.0.0.1", server.smtp_port, client))
    email, first = inbox.address("late"), transport.requests

    def sender() -> None:
        wait_until(lambda: transport.requests >= first + 3)  # two polls ended empty
        send(server, make_message(subject="Late", to=email))

    thread = threading.Thread(target=sender)
    thread.start()
    assert inbox.wait_for(to=email, timeout=30).subject == "Late"
    thread.join()
    inbox.close()


def test_to_matches_cc_and_bcc_and_a_display_name(server: InProcessServer, inbox: Inbox) -> None:
    cc, bcc = inbox.address("cc"), inbox.address("bcc")
    send(server, make_message(subject="copied", to="x@example.com", Cc=cc, Bcc=bcc))
    assert inbox.wait_for(to=f"Carbon <{cc}>").subject == "copied"
    # Bcc is not in the headers sent; mailyard lists the envelope's other recipients as Bcc.
    # One message to two of the test's addresses is returned once for each.
    assert inbox.wait_for(to=bcc).subject == "copied"
    with pytest.raises(NoMailError):
        inbox.wait_for(to=cc, timeout=0)


def test_each_message_is_returned_once_then_the_next(server: InProcessServer, inbox: Inbox) -> None:
    email = inbox.address("jane")
    for n in (1, 2):
        send(server, make_message(subject=f"Code {n}", to=email))
    assert [inbox.wait_for(to=email).subject for _ in range(2)] == ["Code 1", "Code 2"]
    with pytest.raises(NoMailError) as failed:
        inbox.wait_for(to=email, timeout=0.1)
    report = str(failed.value)
    assert report.count("[already returned by wait_for]") == 2, report


def test_a_timeout_lists_what_did_arrive(server: InProcessServer, inbox: Inbox) -> None:
    jane = inbox.address("jane")
    send(server, make_message(subject="Welcome aboard", to=jane))
    with pytest.raises(NoMailError) as failed:
        inbox.wait_for(to=jane, subject="reset", timeout=0.1)
    lines = str(failed.value).splitlines()
    assert lines[0] == (
        f"no mail to {jane} with a subject containing 'reset' arrived within 0.1 s."
    )
    assert lines[1] == "Mail that arrived during this test (1, oldest first):"
    assert lines[2].startswith(f"  - to {jane}: 'Welcome aboard' (mailbox default, id ")


def test_a_long_list_of_arrivals_is_cut_short(server: InProcessServer, inbox: Inbox) -> None:
    email = inbox.address("busy")
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=10) as smtp:
        for n in range(REPORT_LIMIT + 2):
            smtp.send_message(make_message(subject=f"Note {n}", to=email))
    with pytest.raises(NoMailError) as failed:
        inbox.wait_for(to=inbox.address("other"), timeout=0)
    lines = str(failed.value).splitlines()
    assert len(lines) == 2 + REPORT_LIMIT + 1 and lines[-1] == "  - ... and more"


def test_assert_no_mail(server: InProcessServer, inbox: Inbox) -> None:
    jane, bob = inbox.address("jane"), inbox.address("bob")
    send(server, make_message(subject="Hello Jane", to=jane))
    inbox.assert_no_mail(to=bob, within=0.05)
    inbox.assert_no_mail(to=jane, subject="goodbye", within=0)
    expected = re.escape(f"expected no mail to {jane}, but one arrived: to {jane}: 'Hello Jane'")
    with pytest.raises(UnexpectedMailError, match=expected):
        inbox.assert_no_mail(to=jane, within=0)
    inbox.wait_for(to=jane)
    inbox.assert_no_mail(to=jane, within=0)  # what wait_for returned was expected


def test_the_tests_own_mailbox_by_smtp_login(server: InProcessServer, inbox: Inbox) -> None:
    send(server, make_message(subject="Not mine", to="someone@example.com"))
    account = inbox.smtp
    assert (account.host, account.port) == ("127.0.0.1", server.smtp_port)
    assert account.username == inbox.mailbox == f"pytest-{inbox.token}"
    with smtplib.SMTP(account.host, account.port, timeout=10) as smtp:
        smtp.login(account.username, account.password)
        smtp.send_message(make_message(subject="Mine", to="someone@example.com"))
    mail = inbox.wait_for()  # no address: the test's own mailbox
    assert (mail.subject, mail.mailbox) == ("Mine", inbox.mailbox)
    assert inbox.env()["AWS_ACCESS_KEY_ID"] == inbox.mailbox


def test_without_an_address_any_mail_but_other_tests_counts(
    server: InProcessServer, mail_server: MailyardServer, inbox: Inbox
) -> None:
    other = Inbox(mail_server)
    send(server, make_message(subject="Anything", to=other.address("any")))
    send(server, make_message(subject="Anything", to="stray@example.com"))
    send(server, make_message(subject="Anything", to=inbox.address("any")))
    assert inbox.wait_for(subject="anything").to == ["stray@example.com"]
    assert inbox.wait_for(subject="anything").to == [inbox.address("any")]
    assert [m.to for m in inbox.arrived()] == [["stray@example.com"], [inbox.address("any")]]
    with pytest.raises(NoMailError) as failed:
        inbox.wait_for(subject="anything", timeout=0)
    assert other.token not in str(failed.value)
    other.close()


def test_cleanup_deletes_the_tests_own_mail_and_nothing_else(
    server: InProcessServer, mail_server: MailyardServer
) -> None:
    client = mail_server.client
    inbox = Inbox.open(mail_server)
    send(server, make_message(subject="Others'", to="neighbour@example.com"))
    send(server, make_message(subject="To me", to=inbox.address("jane")))
    send(server, make_message(subject="Into my box"), mailbox=inbox.mailbox)
    others = client.ids(query="subject:Others'")
    mine = client.ids(query=f"addressed:{inbox.token}") + client.ids(mailbox=inbox.mailbox)
    assert len(others) >= 1 and len(mine) == 2
    inbox.close()
    assert client.ids(query=f"addressed:{inbox.token}") == []
    assert client.ids(mailbox=inbox.mailbox) == []
    assert set(others) <= set(client.ids(query="subject:Others'"))


def test_cleanup_of_a_test_that_used_nothing_asks_nothing(
    mail_server: MailyardServer, transport: Any
) -> None:
    inbox = Inbox.open(mail_server)
    before = transport.requests
    inbox.close()
    assert transport.requests == before


def test_keep_mail_keeps_it(server: InProcessServer, mail_server: MailyardServer) -> None:
    inbox = Inbox.open(mail_server, keep_mail=True)
    send(server, make_message(subject="Kept", to=inbox.address("jane")))
    inbox.wait_for(to=inbox.address("jane"))
    inbox.close()
    kept = mail_server.client.ids(query=f"addressed:{inbox.token}")
    assert len(kept) == 1
    mail_server.client.delete(kept)


def test_addresses_are_the_tests_own(mail_server: MailyardServer, inbox: Inbox) -> None:
    jane = inbox.address("jane")
    assert jane == f"jane+{inbox.token}@example.test" == inbox.address("jane")
    assert inbox.address("bob") != jane
    assert inbox.address("ops@myapp.test") == f"ops+{inbox.token}@myapp.test"
    assert Inbox(mail_server).token != inbox.token
    assert Inbox(mail_server, domain="corp.test", token="t1").address() == "user+t1@corp.test"
    for bad in ("", "ja ne", "-x", "a" * 41, "jane@", "jane@bad domain"):
        with pytest.raises(ValueError, match="address"):
            inbox.address(bad)
    with pytest.raises(ValueError, match="not a domain name"):
        Inbox(mail_server, domain="localhost")
