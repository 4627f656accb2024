"""The spec's email-test endpoint: preview, test send into the sandbox, and the not-configured rule."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest
from support.mail import Server, messages
from support.servers import start_inprocess as start_server


def test_preview_only_returns_html_and_text_like_the_spec(api: httpx.Client) -> None:
    response = api.post(
        "/api/v1/email-test",
        json={
            "themeId": "nordlicht",
            "recipientEmail": "qa@example.com",
            "previewOnly": True,
            "emailConcept": "invitation",
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    data = body["data"]
    assert data["html"].startswith("<!DOCTYPE html>") and "test-preview-token-000" in data["text"]
    assert data["theme"] == "Nordlicht Bank AG" and data["emailConcept"] == "invitation"
    assert data["locale"] == "de" and data["subject"].startswith("[TEST] ")


def test_test_send_lands_in_the_sandbox_with_the_test_prefix(
    server: Server, api: httpx.Client
) -> None:
    response = api.post(
        "/api/v1/email-test",
        json={
            "recipientEmail": "qa-inbox@example.com",
            "emailConcept": "password-reset",
            "theme": {"name": "Media Conductor", "primaryColor": "#1a73e8"},
        },
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["outcome"] == "sent" and data["provider"] == "sandbox"
    (found,) = messages(api, "default", query="to:qa-inbox@example.com")
    assert found["Subject"] == "[TEST] Reset your Media Conductor password"
    assert found["From"]["Name"] == "Media Conductor" and found["ID"] == data["messageId"]
    links = api.get(f"/api/v1/message/{found['ID']}/links").json()["links"]
    assert links[0]["tokens"]["token"] == "test-preview-token-000"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"emailConcept": "newsletter", "previewOnly": True}, "emailConcept"),
        ({"emailConcept": "welcome"}, "recipientEmail"),
        ({"emailConcept": "welcome", "previewOnly": "yes"}, "previewOnly"),
        ({"emailConcept": "welcome", "previewOnly": True, "themeId": "nope"}, "themeId"),
        # A name, never a path: the API does not read files it is pointed at.
        (
            {
                "emailConcept": "welcome",
                "previewOnly": True,
                "themeId": "fixtures/themes/acme.json",
            },
            "themeId",
        ),
        ({"emailConcept": "welcome", "previewOnly": True, "themeId": "../themes/acme"}, "themeId"),
        (
            {"emailConcept": "welcome", "previewOnly": True, "theme": {"primaryColor": "red"}},
            "primaryColor",
        ),
        (
            {
                "emailConcept": "welcome",
                "previewOnly": True,
                "variables": {"signInUrl": "javascript:x"},
            },
            "signInUrl",
        ),
    ],
)
def test_bad_bodies_name_the_field(api: httpx.Client, body: dict[str, object], field: str) -> None:
    response = api.post("/api/v1/email-test", json=body)
    assert response.status_code == 400 and response.json()["error"]["field"] == field


def test_a_form_post_is_refused(api: httpx.Client) -> None:
    response = api.post(
        "/api/v1/email-test",
        content=b"emailConcept=welcome",
        headers={"content-type": "text/plain"},
    )
    assert response.status_code == 415


def test_not_configured_provider_still_answers_success(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    srv = start_server(tmp_path, env={"MAILYARD_DELIVERY": "ses", "BLUAUTH_SES_FROM_ADDRESS": ""})
    try:
        with srv.api() as api:
            response = api.post(
                "/api/v1/email-test",
                json={"recipientEmail": "qa@example.com", "emailConcept": "welcome"},
            )
            log = api.get("/api/v1/send-log", params={"reason": "email_not_configured"}).json()
        assert response.status_code == 200 and response.json()["success"] is True
        assert response.json()["data"]["outcome"] == "skipped"
        assert log["count"] == 1 and log["entries"][0]["test"] is True
        assert "email_not_configured" in caplog.text
    finally:
        srv.stop()


def test_the_log_format_setting_reaches_the_servers_mailer(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """MAILYARD_LOG_FORMAT=json was ignored by `serve`: its mailer logged key=value."""
    srv = start_server(tmp_path, env={"MAILYARD_LOG_FORMAT": "json"})
    try:
        with srv.api() as api, caplog.at_level(logging.INFO, logger="mailyard.email"):
            api.post(
                "/api/v1/email-test",
                json={"recipientEmail": "qa@example.com", "emailConcept": "welcome"},
            )
    finally:
        srv.stop()
    (line,) = [r.getMessage() for r in caplog.records if r.name == "mailyard.email"]
    assert json.loads(line)["email.concept"] == "welcome"
