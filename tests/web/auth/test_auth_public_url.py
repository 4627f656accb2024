"""Where the auth service's links point: --auth-public-url, else --public-url (the URL
receivers reach mailyard at, which serves the auth service too), else mailyard's own."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.servers import start_inprocess

from mailyard.web.auth.service import public_url
from mailyard.web.settings import SettingsError, load_settings, options


@pytest.mark.parametrize(
    ("flags", "env", "expected"),
    [
        ({}, {}, "http://127.0.0.1:8025"),
        ({"public_url": "https://mail.example.com/"}, {}, "https://mail.example.com"),
        ({}, {"MAILYARD_PUBLIC_URL": "https://mail.example.com"}, "https://mail.example.com"),
        (
            {"public_url": "https://mail.example.com", "auth_public_url": "https://auth.example"},
            {},
            "https://auth.example",
        ),
        (
            {},
            {
                "MAILYARD_PUBLIC_URL": "https://mail.example.com",
                "MAILYARD_AUTH_PUBLIC_URL": "https://id.example.com/auth",
            },
            "https://id.example.com/auth",
        ),
    ],
)
def test_the_link_base(flags: dict[str, str], env: dict[str, str], expected: str) -> None:
    assert public_url(load_settings(flags, env), 8025) == expected


@pytest.mark.parametrize("bad", ["ftp://mail.example.com", "https://mail.example.com/?q=1"])
def test_a_public_url_that_cannot_be_a_link_base_is_refused(bad: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"public_url": bad}, {})
    assert caught.value.source == "--public-url"


def test_the_help_texts_say_how_the_two_relate() -> None:
    found = options()
    assert "default: --public-url when set" in found["auth_public_url"].help
    assert "--auth-public-url" in found["public_url"].help


def test_the_running_service_links_on_the_public_url(tmp_path: Path) -> None:
    server = start_inprocess(tmp_path, "--public-url", "https://mail.example.test")
    try:
        with server.api() as api:
            data = api.get("/auth/settings").json()["data"]
            assert data["publicUrl"] == "https://mail.example.test"
            email = "jane-public@example.com"
            api.post("/auth/signup", json={"email": email, "password": "correct horse"})
            found = api.get("/api/v1/messages/wait", params={"query": f"to:{email}"}).json()
            links = api.get(f"/api/v1/message/{found['ID']}/links").json()["links"]
    finally:
        server.stop()
    assert links[0]["url"].startswith("https://mail.example.test/auth/confirm?token=")
