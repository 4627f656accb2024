"""The auth service's public routes, through the real app: MIOSA's /auth and BluAuth's /api/auth.

One mailyard per module, in this process; each test uses addresses of its own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from support.servers import start_inprocess

from mailyard.sandbox import InvitationAccepted, UserCreated
from mailyard.web.testing.inprocess import InProcessServer

PUBLIC = "http://127.0.0.1"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    srv = start_inprocess(tmp_path_factory.mktemp("auth"), "--auth-public-url", PUBLIC)
    yield srv
    srv.stop()


def address(name: str = "jane") -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}@example.com"


def wait_for_link(api: httpx.Client, to: str, subject: str = "") -> dict[str, object]:
    query = f"to:{to}" + (f" subject:{subject}" if subject else "")
    found = api.get("/api/v1/messages/wait", params={"query": query, "timeout": 10})
    assert found.status_code == 200, found.text
    links = api.get(f"/api/v1/message/{found.json()['ID']}/links").json()["links"]
    return {**links[0], "subject": found.json()["Subject"], "ID": found.json()["ID"]}


def signed_up(api: httpx.Client, email: str) -> None:
    response = api.post("/auth/signup", json={"email": email, "password": "correct horse"})
    assert response.status_code == 201, response.text


def test_settings_say_what_the_checklist_needs(api: httpx.Client) -> None:
    data = api.get("/auth/settings").json()
    assert data["success"] is True
    assert data["data"]["publicUrl"] == PUBLIC
    assert data["data"]["resetTtlSeconds"] == 3600


@pytest.mark.parametrize("path", ["/auth/password-reset", "/api/auth/forgot-password"])
def test_reset_answers_the_same_for_every_address(api: httpx.Client, path: str) -> None:
    known = address()
    signed_up(api, known)
    answers = [api.post(path, json={"email": e}) for e in (known, address("nobody"))]
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].content == answers[1].content
    assert answers[0].headers == answers[1].headers
    assert api.post(path, json={"email": "not an address"}).status_code == 400


def test_signup_sends_the_confirmation_and_get_never_consumes_it(api: httpx.Client) -> None:
    email = address()
    signed_up(api, email)
    link = wait_for_link(api, email)
    url = str(link["url"])
    assert url.startswith(f"{PUBLIC}/auth/confirm?token=")
    page = api.get(url, headers={"accept": "text/html"})
    assert page.status_code == 200 and 'method="post"' in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert "<script" not in page.text
    assert api.head(url).status_code == 200
    assert api.get(url).json()["data"]["token"] == "valid"
    confirmed = api.post("/auth/confirm", json={"token": link["token"]})
    assert confirmed.status_code == 200 and confirmed.json()["data"]["welcomeSent"] is True
    again = api.post("/auth/confirm", json={"token": link["token"]})
    assert again.status_code == 410
    assert again.json() == {
        "success": False,
        "error": {
            "code": "token_used",
            "message": again.json()["error"]["message"],
            "field": "token",
        },
    }
    assert api.get(url).status_code == 410


def test_a_browser_resets_with_the_form(api: httpx.Client) -> None:
    email = address()
    signed_up(api, email)
    api.post("/api/auth/forgot-password", json={"email": email})
    link = wait_for_link(api, email, "reset")
    assert str(link["url"]).startswith(f"{PUBLIC}/api/auth/reset-password?token=")
    form = api.get(str(link["url"]), headers={"accept": "text/html"})
    assert 'name="newPassword"' in form.text
    done = api.post(
        "/api/auth/reset-password",
        data={"token": link["token"], "newPassword": "a new password"},
        headers={"accept": "text/html"},
    )
    assert done.status_code == 200 and "Password changed" in done.text
    used = api.post(
        "/api/auth/reset-password", data={"token": link["token"], "newPassword": "x" * 9}
    )
    assert used.status_code == 410 and "already used" in used.text
    login = api.post("/auth/login", json={"email": email, "password": "a new password"})
    assert login.status_code == 200


@pytest.mark.parametrize(
    ("token", "status", "code"),
    [("A" * 43, 400, "token_tampered"), ("short", 400, "token_malformed"), ("", 400, "invalid")],
)
def test_bad_tokens_get_their_own_error(
    api: httpx.Client, token: str, status: int, code: str
) -> None:
    answer = api.post("/auth/password-reset/confirm", json={"token": token, "password": "x" * 9})
    assert answer.status_code == status
    assert answer.json()["error"]["code"] == code and answer.json()["success"] is False


def test_duplicate_signup_and_wrong_login_are_refused(api: httpx.Client) -> None:
    email = address()
    signed_up(api, email)
    again = api.post("/auth/signup", json={"email": email, "password": "correct horse"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "account_exists"
    wrong = api.post("/auth/login", json={"email": email, "password": "wrong password"})
    assert wrong.status_code in (401, 403)


def test_accepting_an_invitation_creates_the_user_and_publishes_events(
    server: InProcessServer, api: httpx.Client
) -> None:
    assert server.services is not None and server.services.auth is not None
    seen: list[object] = []
    unlisten = server.services.bus.listen(seen.append, UserCreated, InvitationAccepted)
    token = server.services.auth.admin_token
    email = address("ann")
    created = api.post(
        "/api/admin/invitations",
        json={"email": email, "recipientName": "Ann"},
        headers={"authorization": f"Bearer {token}"},
    )
    assert created.status_code == 201, created.text
    link = wait_for_link(api, email)
    info = api.get(str(link["url"])).json()["data"]
    assert info["email"] == email
    accepted = api.post(
        "/api/auth/accept-invite", json={"token": link["token"], "password": "ann's password"}
    )
    assert accepted.status_code == 201
    unlisten()
    assert [type(e).__name__ for e in seen] == ["UserCreated", "InvitationAccepted"]
    welcome = wait_for_link(api, email, "welcome")
    assert "welcome" in str(welcome["subject"]).lower()


def test_the_openapi_document_describes_the_auth_routes(api: httpx.Client) -> None:
    paths = api.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/auth/signup", "/api/auth/forgot-password", "/api/admin/email-test"):
        assert path in paths
    assert "auth" in paths["/auth/signup"]["post"]["tags"]


def test_without_the_auth_service_its_routes_are_gone(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    srv = start_inprocess(tmp_path_factory.mktemp("off"), "--no-auth-service")
    try:
        with srv.api() as api:
            assert api.get("/auth/settings").status_code == 404
            assert api.post("/api/admin/invitations", json={}).status_code == 404
            assert api.get("/api/v1/messages").status_code == 200
    finally:
        srv.stop()
