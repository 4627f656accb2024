"""The auth service's lifecycle events reach a registered `auth` webhook, signed the Standard
Webhooks way and verified by the official `standardwebhooks` library (as the spec's downstream
apps would: "subscribe to the user.created or invitation.accepted webhook")."""

from __future__ import annotations

import queue
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from support.servers import start_inprocess

from mailyard.web.testing.inprocess import InProcessServer

ADMIN = "admin-token-for-the-webhook-tests"
Received = tuple[dict[str, str], bytes]


class Receiver:
    """An app's webhook endpoint on loopback: answers 200 and keeps what it was sent."""

    def __init__(self) -> None:
        self.got: queue.Queue[Received] = queue.Queue()
        got = self.got

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                got.put(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/auth"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next(self, about: str) -> Received:
        """The next delivery about `about` (an address), skipping others; bounded wait."""
        while True:
            headers, body = self.got.get(timeout=15)
            if about in body.decode():
                return headers, body


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    srv = start_inprocess(tmp_path_factory.mktemp("hooks"), env={"MAILYARD_ADMIN_TOKEN": ADMIN})
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.server.shutdown()
    found.server.server_close()


@pytest.fixture(scope="module")
def secret(server: InProcessServer, receiver: Receiver) -> str:
    with server.api() as api:
        made = api.post(
            "/api/v1/webhooks",
            json={
                "url": receiver.url,
                "format": "auth",
                "events": ["user.created", "invitation.accepted"],
            },
        )
        assert made.status_code == 200, made.text
        return str(made.json()["secret"])


def test_a_signup_delivers_user_created_signed_for_standardwebhooks(
    server: InProcessServer, receiver: Receiver, secret: str
) -> None:
    email = f"jane-{uuid.uuid4().hex[:8]}@example.com"
    with server.api() as api:
        signed_up = api.post("/auth/signup", json={"email": email, "password": "correct horse"})
        assert signed_up.status_code == 201, signed_up.text
    headers, body = receiver.next(email)
    payload = Webhook(secret).verify(body, headers)
    assert payload["type"] == "user.created"
    assert payload["data"]["email"] == email and payload["data"]["source"] == "signup"
    tampered = body.replace(email.encode(), b"mallory@example.com")
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(tampered, headers)


def test_an_accepted_invitation_delivers_user_created_then_invitation_accepted(
    server: InProcessServer, receiver: Receiver, secret: str
) -> None:
    email = f"ann-{uuid.uuid4().hex[:8]}@example.com"
    with server.api(headers={"authorization": f"Bearer {ADMIN}"}) as api:
        assert api.post("/api/admin/invitations", json={"email": email}).status_code == 201
        found = api.get("/api/v1/messages/wait", params={"query": f"to:{email}", "timeout": 10})
        link = api.get(f"/api/v1/message/{found.json()['ID']}/links").json()["links"][0]
        accepted = api.post(
            "/api/auth/accept-invite", json={"token": link["token"], "password": "ann's password"}
        )
        assert accepted.status_code == 201, accepted.text
    types = []
    for _ in range(2):
        headers, body = receiver.next(email)
        types.append(Webhook(secret).verify(body, headers)["type"])
    assert sorted(types) == ["invitation.accepted", "user.created"]
    # invitation.created was filtered out by the endpoint's events: nothing else arrived.
    assert receiver.got.empty()


def test_an_auth_endpoint_takes_no_mailbox(server: InProcessServer, receiver: Receiver) -> None:
    with server.api() as api:
        refused = api.post(
            "/api/v1/webhooks", json={"url": receiver.url, "format": "auth", "mailbox": "x"}
        )
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "mailbox"


def test_deliveries_are_listed_with_their_attempts(
    server: InProcessServer, receiver: Receiver, secret: str
) -> None:
    with server.api() as api:
        hook = next(
            w for w in api.get("/api/v1/webhooks").json()["webhooks"] if w["format"] == "auth"
        )
        listed = api.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()
    assert listed["deliveries"], listed
    assert all(a["statusCode"] == 200 for d in listed["deliveries"] for a in d["attempts"])
