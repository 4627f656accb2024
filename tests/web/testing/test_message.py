"""A received message: its summary at once, its body, headers, links, code and events on use."""

from __future__ import annotations

import pytest
from support.mail import make_message, send

from mailyard.web.testing.errors import NoCodeError, NoLinkError, ServiceError
from mailyard.web.testing.inbox import Inbox
from mailyard.web.testing.inprocess import InProcessServer
from mailyard.web.testing.message import Link

RESET = "https://app.example.test/reset?token=Zk3xQ9vR2mT7pL4wB8nC"
HTML = (
    f'<p>Hi Jane, <a href="{RESET}">Reset your password</a>.</p>'
    "<p>Your code is <b>482913</b>.</p>"
    '<p><a href="https://app.example.test/unsubscribe?u=1">Unsubscribe</a></p>'
)


@pytest.fixture
def reset_mail(server: InProcessServer, inbox: Inbox):  # type: ignore[no-untyped-def]
    email = inbox.address("jane")
    message = make_message(
        subject="Reset your password",
        sender="Acme <no-reply@acme.test>",
        to=email,
        text=f"Reset your password: {RESET}\nYour code is 482913.",
        html=HTML,
        X_Request_Id="req-42",
    )
    send(server, message)
    return inbox.wait_for(to=email)


def test_the_summary_needs_no_request(reset_mail, transport) -> None:  # type: ignore[no-untyped-def]
    before = transport.requests
    assert reset_mail.subject == "Reset your password"
    assert reset_mail.sender == "no-reply@acme.test"
    assert reset_mail.mailbox == "default" and len(reset_mail.id) > 10
    assert repr(reset_mail).startswith(f"Message(id={reset_mail.id!r}, to=['jane+")
    assert transport.requests == before


def test_bodies_and_headers_are_fetched_once(reset_mail, transport) -> None:  # type: ignore[no-untyped-def]
    before = transport.requests
    assert RESET in reset_mail.html and "482913" in reset_mail.html
    assert reset_mail.text.startswith("Reset your password: https://")
    assert transport.requests == before + 1
    assert reset_mail.headers["Subject"] == ["Reset your password"]
    assert reset_mail.header("x-request-id") == "req-42" and reset_mail.header("X-None") is None
    assert transport.requests == before + 2
    assert b"X-Request-Id: req-42" in reset_mail.raw()


def test_links_come_action_first(reset_mail) -> None:  # type: ignore[no-untyped-def]
    links = reset_mail.links()
    assert links[0] == Link(
        url=RESET,
        text="Reset your password",
        host="app.example.test",
        path="/reset",
        token="Zk3xQ9vR2mT7pL4wB8nC",
        role="action",
    )
    assert str(links[0]) == RESET and links[-1].role == "footer"
    assert reset_mail.link() == RESET
    assert reset_mail.link(containing="unsubscribe").endswith("/unsubscribe?u=1")


def test_a_missing_link_lists_the_links_there_are(reset_mail) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NoLinkError) as failed:
        reset_mail.link(containing="/verify")
    text = str(failed.value)
    assert "has no link containing '/verify'; its links:" in text
    assert f"  - {RESET}  (action)" in text


def test_the_code(reset_mail) -> None:  # type: ignore[no-untyped-def]
    assert reset_mail.code() == "482913"


def test_no_code_says_so(server: InProcessServer, inbox: Inbox) -> None:
    send(server, make_message(subject="Hello", to=inbox.address("jo"), text="Nothing here."))
    with pytest.raises(NoCodeError, match="holds no one-time code; its text:\nNothing here"):
        inbox.wait_for(to=inbox.address("jo")).code()


def test_events_are_the_simulators(reset_mail) -> None:  # type: ignore[no-untyped-def]
    events = reset_mail.events()
    assert [e.kind for e in events] == ["send", "delivery"]
    assert events[0].recipients == tuple(reset_mail.to)
    assert events[0].payload is not None and events[0].raw["kind"] == "send"


def test_a_deleted_message_says_so(reset_mail, mail_server) -> None:  # type: ignore[no-untyped-def]
    mail_server.client.delete([reset_mail.id])
    with pytest.raises(ServiceError, match=f"message {reset_mail.id} is not in mailyard"):
        reset_mail.links()
