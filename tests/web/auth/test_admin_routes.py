"""The auth service's admin routes: the Bearer token, invitations (emailed on creation only),
suppression refusals, users' delivery history, tenants, and the spec's email-test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from support.servers import start_inprocess

from mailyard.web.testing.inprocess import InProcessServer

LIMIT = 3


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    srv = start_inprocess(
        tmp_path_factory.mktemp("admin"),
        "--auth-public-url",
        "https://auth.example.test",
        "--auth-email-test-limit",
        str(LIMIT),
        env={"MAILYARD_ADMIN_TOKEN": "admin-secret-token-for-tests"},
    )
    yield srv
    srv.stop()


@pytest.fixture
def admin(server: InProcessServer) -> Iterator[httpx.Client]:
    with server.api(headers={"authorization": "Bearer admin-secret-token-for-tests"}) as client:
        yield client


def address(name: str = "ann") -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}@example.com"


def count(api: httpx.Client, query: str) -> int:
    return int(api.get("/api/v1/search", params={"query": query}).json()["messages_count"])


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic abc", "Bearer "])
def test_admin_routes_need_the_token(api: httpx.Client, header: str | None) -> None:
    headers = {"authorization": header} if header else {}
    for method, path in (
        ("GET", "/api/admin/users"),
        ("POST", "/api/admin/invitations"),
        ("POST", "/api/admin/email-test"),
        ("GET", "/api/admin/themes"),
    ):
        answer = api.request(method, path, headers=headers, json={})
        assert answer.status_code == 401, (path, answer.text)
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert answer.json()["success"] is False


def test_an_invitation_is_emailed_on_creation_only(admin: httpx.Client) -> None:
    email = address()
    created = admin.post(
        "/api/admin/invitations",
        json={
            "email": email,
            "recipientName": "Ann Example",
            "expiresAt": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
        },
    )
    assert created.status_code == 201, created.text
    data = created.json()["data"]
    assert data["email"]["outcome"] == "sent"
    invitation = data["invitation"]
    admin.get("/api/v1/messages/wait", params={"query": f"to:{email}", "timeout": 10})
    revoked = admin.post(f"/api/admin/invitations/{invitation['id']}/revoke")
    assert (
        revoked.status_code == 200 and revoked.json()["data"]["invitation"]["status"] == "revoked"
    )
    again = admin.post(f"/api/admin/invitations/{invitation['id']}/revoke")
    assert again.status_code == 409 and again.json()["error"]["code"] == "invitation_revoked"
    assert count(admin, f"to:{email}") == 1
    listed = admin.get("/api/admin/invitations", params={"status": "revoked"}).json()["data"]
    assert invitation["id"] in [i["id"] for i in listed["invitations"]]


def test_a_suppressed_address_is_refused_with_the_reason_and_override_wins(
    server: InProcessServer, admin: httpx.Client
) -> None:
    email = address("bouncer")
    put = admin.put("/api/v1/suppressions", json={"address": email, "reason": "BOUNCE"})
    assert put.status_code == 200, put.text
    refused = admin.post("/api/admin/invitations", json={"email": email})
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "suppressed" and "suppression list (BOUNCE)" in error["message"]
    forced = admin.post("/api/admin/invitations", json={"email": email, "override": True})
    assert forced.status_code == 201
    assert forced.json()["data"]["delivery"]["suppressed"] == "BOUNCE"
    wrong = admin.post("/api/admin/invitations", json={"email": email, "override": "yes"})
    assert wrong.status_code == 400 and wrong.json()["error"]["field"] == "override"


def test_users_show_their_bounces_and_complaints(
    server: InProcessServer, admin: httpx.Client
) -> None:
    # The simulator's complaint address: the verification mail draws a real Complaint event.
    email = f"complaint+{uuid.uuid4().hex[:8]}@simulator.amazonses.com"
    admin.post("/auth/signup", json={"email": email, "password": "correct horse"})
    told = admin.get(
        "/api/v1/events", params={"type": "complaint", "recipient": email, "wait": 20}
    ).json()["events"]
    assert told, "the simulator recorded no complaint"
    users = admin.get("/api/admin/users").json()["data"]["users"]
    mine = next(u for u in users if u["email"] == email)
    assert mine["delivery"]["complaints"][0]["messageId"] == told[0]["messageId"]
    assert mine["delivery"]["complaints"][0]["detail"] == "abuse"
    one = admin.get(f"/api/admin/users/{mine['id']}").json()["data"]["user"]
    assert one["delivery"]["complaints"][0]["at"] == told[0]["at"][:19] + "Z"  # to the second
    assert admin.get("/api/admin/users/nope").status_code == 404


def test_tenants_theme_the_next_send(admin: httpx.Client) -> None:
    theme = admin.post("/api/admin/themes", json={"name": "Media Conductor"}).json()["data"]
    client = admin.post("/api/admin/clients", json={"name": "MC", "themeId": theme["id"]}).json()[
        "data"
    ]
    first = address()
    admin.post("/api/admin/invitations", json={"email": first, "clientId": client["id"]})
    changed = admin.put(f"/api/admin/themes/{theme['id']}", json={"name": "Renamed Studio"})
    assert changed.status_code == 200
    second = address()
    admin.post("/api/admin/invitations", json={"email": second, "clientId": client["id"]})
    senders = [
        admin.get("/api/v1/messages/wait", params={"query": f"to:{e}", "timeout": 10}).json()[
            "From"
        ]["Name"]
        for e in (first, second)
    ]
    assert senders == ["Media Conductor", "Renamed Studio"]
    bad = admin.post("/api/admin/themes", json={"name": "X", "primaryColor": "nope"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "primaryColor"
    assert admin.delete(f"/api/admin/themes/{theme['id']}").status_code == 200
    assert admin.get(f"/api/admin/clients/{client['id']}").json()["data"]["themeId"] is None


def test_email_test_preview_is_the_specs_shape(admin: httpx.Client) -> None:
    theme = admin.post("/api/admin/themes", json={"name": "Preview Co"}).json()["data"]
    answer = admin.post(
        "/api/admin/email-test",
        json={
            "themeId": theme["id"],
            "recipientEmail": "qa@example.com",
            "previewOnly": True,
            "emailConcept": "invitation",
        },
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["success"] is True
    assert {"html", "text", "theme", "emailConcept"} <= set(body["data"])
    assert body["data"]["theme"] == "Preview Co" and body["data"]["emailConcept"] == "invitation"
    assert body["data"]["html"].lower().startswith("<!doctype html>")


def test_email_test_sends_a_test_copy_and_is_rate_limited(admin: httpx.Client) -> None:
    recipient = address("qa-inbox")
    body = {"recipientEmail": recipient, "emailConcept": "password-reset"}
    answers = [admin.post("/api/admin/email-test", json=body) for _ in range(LIMIT + 1)]
    assert [a.status_code for a in answers] == [200] * LIMIT + [429]
    assert answers[-1].json()["error"]["code"] == "rate_limited"
    assert int(answers[-1].headers["retry-after"]) >= 1
    found = admin.get("/api/v1/messages/wait", params={"query": f"to:{recipient}", "timeout": 10})
    assert found.json()["Subject"].startswith("[TEST]")
    links = admin.get(f"/api/v1/message/{found.json()['ID']}/links").json()["links"]
    assert "test-preview-token-000" in links[0]["url"]


def test_a_hard_bounce_from_the_simulator_stops_a_second_invitation(admin: httpx.Client) -> None:
    email = f"bounce+{uuid.uuid4().hex[:8]}@simulator.amazonses.com"
    first = admin.post("/api/admin/invitations", json={"email": email})
    assert first.status_code == 201, first.text
    told = admin.get(
        "/api/v1/events", params={"type": "bounce", "recipient": email, "wait": 20}
    ).json()["events"]
    assert told, "the simulator recorded no bounce"
    again = admin.post("/api/admin/invitations", json={"email": email})
    assert again.status_code == 409
    assert email in again.json()["error"]["message"]
