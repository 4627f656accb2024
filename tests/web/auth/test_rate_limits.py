"""The public reset and signup endpoints are rate-limited per client address and per email
address: 429 in the auth service's error shape with Retry-After, the same answer for an
address with an account and one without. The limiter's time is moved by the test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from support.servers import start_inprocess

from mailyard.sandbox import PublicLimits
from mailyard.sandbox.auth.limits import PublicRates, Rate
from mailyard.web.testing.inprocess import InProcessServer


class Time:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    srv = start_inprocess(tmp_path_factory.mktemp("limits"), "--auth-public-url", "http://x.test")
    yield srv
    srv.stop()


@pytest.fixture
def time(server: InProcessServer) -> Time:
    """The limiter's monotonic time, which the test moves (rate limits follow real time, not
    mailyard's clock, so --clock-control does not move them); fresh limits for each test."""
    moved = Time()
    assert server.services is not None and server.services.auth is not None
    server.services.auth.limits = PublicLimits(moved)
    return moved


def post(
    server: InProcessServer, path: str, body: dict[str, Any], client: str = "192.0.2.10"
) -> httpx.Response:
    """A POST from `client`'s address."""
    assert server.app is not None
    app = server.app

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=(client, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            return await http.post(path, json=body)

    return server.call(go)


def address(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}@example.com"


def answer(response: httpx.Response) -> tuple[int, bytes, list[tuple[str, str]]]:
    return response.status_code, response.content, sorted(response.headers.multi_items())


@pytest.mark.parametrize("path", ["/auth/password-reset", "/api/auth/forgot-password"])
def test_the_address_limit_answers_the_same_with_and_without_an_account(
    server: InProcessServer, time: Time, path: str
) -> None:
    known, unknown = address("known"), address("unknown")
    created = post(server, "/auth/signup", {"email": known, "password": "correct horse"})
    assert created.status_code == 201
    burst = server.services.auth.limits.rates.reset_per_address.burst  # type: ignore[union-attr]
    answers = {}
    for email in (known, unknown):
        for n in range(burst):
            assert post(server, path, {"email": email}).status_code == 200, n
        answers[email] = post(server, path, {"email": email})
    limited = answers[known]
    assert answer(limited) == answer(answers[unknown])
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "72"
    error = limited.json()
    assert error == {
        "success": False,
        "error": {"code": "rate_limited", "message": error["error"]["message"], "field": None},
    }
    assert "for this email address" in error["error"]["message"]
    # Another client is refused for the same address: the limit guards the inbox.
    assert post(server, path, {"email": known}, client="198.51.100.1").status_code == 429
    time.now += 72
    assert post(server, path, {"email": known}).status_code == 200


def test_the_reset_endpoints_share_one_client_limit(server: InProcessServer, time: Time) -> None:
    burst = server.services.auth.limits.rates.reset_per_client.burst  # type: ignore[union-attr]
    paths = ("/auth/password-reset", "/api/auth/forgot-password")
    for n in range(burst):
        assert post(server, paths[n % 2], {"email": address("u")}).status_code == 200, n
    refused = [post(server, p, {"email": address("u")}) for p in paths]
    assert [r.status_code for r in refused] == [429, 429]
    assert answer(refused[0]) == answer(refused[1])
    assert "from your IP address" in refused[0].json()["error"]["message"]
    assert refused[0].headers["retry-after"] == "1"
    # The same /64 is the same client; another address is not.
    assert post(server, paths[0], {"email": address("u")}, client="192.0.2.11").status_code == 200
    time.now += 1
    assert post(server, paths[0], {"email": address("u")}).status_code == 200


def test_ipv6_clients_are_limited_by_their_64(server: InProcessServer, time: Time) -> None:
    assert server.services is not None and server.services.auth is not None
    # A small burst: each signup costs a real scrypt hash.
    rates = PublicRates(signup_per_client=Rate(3, 10.0))
    server.services.auth.limits = PublicLimits(time, rates)
    for n in range(3):
        host = f"2001:db8:5:6::{n + 1:x}"
        body = {"email": address("s"), "password": "correct horse"}
        assert post(server, "/auth/signup", body, client=host).status_code == 201, n
    body = {"email": address("s"), "password": "correct horse"}
    refused = post(server, "/api/auth/sign-up/email", body, client="2001:db8:5:6::ffff")
    assert refused.status_code == 429 and refused.headers["retry-after"] == "10"
    assert post(server, "/auth/signup", body, client="2001:db8:5:7::1").status_code == 201


def test_signup_per_address(server: InProcessServer, time: Time) -> None:
    email = address("taken")
    body = {"email": email, "password": "correct horse"}
    statuses = [post(server, "/auth/signup", body).status_code for _ in range(6)]
    assert statuses == [201, 409, 409, 409, 409, 429]
    time.now += 600
    assert post(server, "/auth/signup", body).status_code == 409


def test_a_limited_reset_sends_nothing(server: InProcessServer, time: Time) -> None:
    """The refused request queues no email (and so cannot be told apart by its mail)."""
    assert server.services is not None and server.services.auth is not None
    auth = server.services.auth
    email = address("quiet")
    assert post(server, "/auth/signup", {"email": email, "password": "correct horse"}).is_success
    burst = auth.limits.rates.reset_per_address.burst
    for _ in range(burst):
        post(server, "/auth/password-reset", {"email": email})
    server.call(auth.service.outbox.idle)
    done = auth.service.outbox.done
    assert post(server, "/auth/password-reset", {"email": email}).status_code == 429
    server.call(auth.service.outbox.idle)
    assert auth.service.outbox.done == done
