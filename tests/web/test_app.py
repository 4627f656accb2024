"""The app built from Settings: flags and environment reach the services; the lifespan opens and
closes them; errors are rendered per surface."""

from __future__ import annotations

import smtplib
from pathlib import Path

import pytest
from support.servers import settings_from_args, start_inprocess

from mailyard.web.testing.inprocess import InProcessServer


def test_environment_variables_configure_serve(tmp_path: Path) -> None:
    srv = start_inprocess(
        tmp_path, env={"MAILYARD_MAX_MESSAGES": "2", "MAILYARD_SMTP_MAX_RECIPIENTS": "1"}
    )
    try:
        with smtplib.SMTP("127.0.0.1", srv.smtp_port) as smtp:
            for i in range(3):
                smtp.sendmail(
                    "a@example.com", ["b@example.com"], f"Subject: env {i}\r\n\r\nx".encode()
                )
            smtp.mail("a@example.com")
            assert smtp.rcpt("b@example.com")[0] == 250
            assert smtp.rcpt("c@example.com")[0] == 452  # MAILYARD_SMTP_MAX_RECIPIENTS=1
            smtp.rset()
        with srv.api() as api:
            body = api.get("/api/v1/messages").json()
        assert [m["Subject"] for m in body["messages"]] == ["env 2", "env 1"]  # MAX_MESSAGES=2
    finally:
        srv.stop()


def test_flags_win_over_the_environment(tmp_path: Path) -> None:
    settings = settings_from_args(
        tmp_path,
        "--max-messages",
        "7",
        env={"MAILYARD_MAX_MESSAGES": "3", "MAILYARD_MAX_AGE": "2h"},
    )
    assert settings.max_messages == 7 and settings.max_age == 7200


def test_memory_database_leaves_nothing_behind(tmp_path: Path) -> None:
    srv = start_inprocess(tmp_path, "--db", ":memory:")
    try:
        with smtplib.SMTP("127.0.0.1", srv.smtp_port) as smtp:
            smtp.sendmail("a@example.com", ["b@example.com"], b"Subject: ephemeral\r\n\r\nx")
        with srv.api() as api:
            assert api.get("/api/v1/messages").json()["total"] == 1
        assert srv.services is not None
        temporary = Path(srv.services.store.path)
    finally:
        srv.stop()
    assert not temporary.exists() and not (tmp_path / ":memory:").exists()


def test_db_sync_full_serves_and_keeps_mail(tmp_path: Path) -> None:
    srv = start_inprocess(tmp_path, "--db-sync", "full")
    try:
        with smtplib.SMTP("127.0.0.1", srv.smtp_port) as smtp:
            smtp.sendmail("a@example.com", ["b@example.com"], b"Subject: fully synced\r\n\r\nx")
    finally:
        srv.stop()
    srv = start_inprocess(tmp_path, "--db-sync", "full")  # the same database, reopened
    try:
        with srv.api() as api:
            assert [m["Subject"] for m in api.get("/api/v1/messages").json()["messages"]] == [
                "fully synced"
            ]
    finally:
        srv.stop()


# The search refuses only a query past its bounds (it is as lenient as Mailpit's otherwise).
TOO_LONG = "/?q=" + "x" * 4097


@pytest.mark.parametrize("path", ["/message/nope", "/no/such/page", TOO_LONG])
def test_pages_answer_errors_as_html(server: InProcessServer, path: str) -> None:
    with server.api() as api:
        response = api.get(path)
    if path == TOO_LONG:
        assert response.status_code == 400
    assert response.status_code >= 400
    assert response.headers["content-type"].startswith("text/html")
    assert "<!doctype html>" in response.text.lower() and "Back to the inbox" in response.text


# Mailpit's own routes answer Mailpit's plain-text errors instead (tests/web/api).
@pytest.mark.parametrize("path", ["/api/v1/message/nope/links", "/api/v1/nothing-here"])
def test_api_errors_are_json_naming_the_problem(server: InProcessServer, path: str) -> None:
    with server.api() as api:
        response = api.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


def test_htmx_requests_get_an_error_fragment_they_can_show(server: InProcessServer) -> None:
    with server.api() as api:
        response = api.get("/ui/rows", params={"q": "x" * 4097}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert response.text.startswith('<div class="error" role="alert">')
    assert "longer than 4096 characters" in response.text
