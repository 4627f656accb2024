"""The `mailyard` command as a person meets it: help, flags, environment, and clean errors."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import click
import pytest
from conftest import start_server

from mailyard.sandbox.capture.smtp import listen
from mailyard.web.cli import main, serve


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 20
) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "mailyard.web", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def test_every_serve_option_is_documented_with_its_environment_variable() -> None:
    result = run_cli("serve", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for param in serve.params:
        if isinstance(param, click.Option) and param.name != "help":
            assert param.opts[0] in text, param.opts[0]
            assert f"MAILYARD_{param.name.upper()}" in text, param.name  # type: ignore[union-attr]


def test_top_level_help_lists_commands() -> None:
    result = run_cli("--help")
    assert result.returncode == 0 and "serve" in result.stdout
    for name in main.commands:  # type: ignore[attr-defined]
        assert name in result.stdout


def test_busy_port_is_a_one_line_error_without_traceback(tmp_path: Path) -> None:
    busy = listen("127.0.0.1", 0)
    port = busy.getsockname()[1]
    try:
        result = run_cli(
            "serve", "--smtp-port", str(port), "--http-port", "0", "--db", str(tmp_path / "x.db")
        )
    finally:
        busy.close()
    assert result.returncode != 0
    assert f"cannot listen for SMTP on 127.0.0.1:{port}" in result.stderr
    assert "--smtp-port 0" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--max-age", "soon"], "not a duration"),
        (["--smtp-max-size", "huge"], "not a size"),
        (["--smtp-tls-cert", "c.pem"], "go together"),
        (["--smtp-tls-implicit"], "needs --smtp-tls-cert"),
        (["--smtp-auth-file", "/nonexistent/users"], "cannot read /nonexistent/users"),
        (["--smtp-port", "70000"], "70000"),
    ],
)
def test_bad_flags_are_explained_without_traceback(
    tmp_path: Path, args: list[str], needle: str
) -> None:
    result = run_cli(
        "serve", "--smtp-port", "0", "--http-port", "0", "--db", str(tmp_path / "x.db"), *args
    )
    assert result.returncode != 0
    assert needle in result.stderr
    assert "Traceback" not in result.stderr


def test_environment_variables_configure_serve(tmp_path: Path) -> None:
    srv = start_server(
        tmp_path, env={"MAILYARD_MAX_MESSAGES": "2", "MAILYARD_SMTP_MAX_RECIPIENTS": "1"}
    )
    try:
        import smtplib

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
        assert [m["Subject"] for m in body["messages"]] == [
            "env 2",
            "env 1",
        ]  # MAILYARD_MAX_MESSAGES=2
    finally:
        assert srv.stop() == 0


def test_sigterm_shuts_down_cleanly(tmp_path: Path) -> None:
    srv = start_server(tmp_path)
    assert srv.stop(signal.SIGTERM) == 0
    assert "mailyard stopped" in srv.output()
    assert "Traceback" not in srv.output()


def test_memory_database_leaves_nothing_behind(tmp_path: Path) -> None:
    srv = start_server(tmp_path, db=Path(":memory:"))
    try:
        import smtplib

        with smtplib.SMTP("127.0.0.1", srv.smtp_port) as smtp:
            smtp.sendmail("a@example.com", ["b@example.com"], b"Subject: ephemeral\r\n\r\nx")
        with srv.api() as api:
            assert api.get("/api/v1/messages").json()["total"] == 1
    finally:
        assert srv.stop() == 0
    assert not (tmp_path / ":memory:").exists()


def test_render_list_names_every_concept_and_variable() -> None:
    from mailyard.renderer import CONCEPTS

    result = run_cli("render", "--list")
    assert result.returncode == 0
    for name, cls in CONCEPTS.items():
        assert name in result.stdout
        for var in cls.variables():
            assert var["spec"] in result.stdout


def test_render_writes_html_text_and_eml(tmp_path: Path) -> None:
    out = tmp_path / "reset.eml"
    result = run_cli(
        "render",
        "password-reset",
        "--theme",
        "nordlicht",
        "--locale",
        "de",
        "--var",
        "userName=Jörg",
        "--format",
        "eml",
        "--test",
        "-o",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    from email import message_from_bytes
    from email.policy import default

    parsed = message_from_bytes(out.read_bytes(), policy=default)
    assert parsed["Subject"].startswith("[TEST] ") and "Nordlicht" in parsed["From"]
    assert "Hallo Jörg," in parsed.get_body(("plain",)).get_content()
    text = run_cli("render", "welcome", "--format", "text").stdout
    assert text.startswith("Welcome to mailyard")
    html = run_cli(
        "render",
        "invitation",
        "--theme",
        str(Path(__file__).parent.parent / "fixtures/themes/acme.json"),
    ).stdout
    assert html.startswith("<!DOCTYPE html>") and "Acme Cloud" in html


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["render", "nonsense"], "unknown concept"),
        (["render", "welcome", "--theme", "missing-theme"], "no theme file or sample theme"),
        (["render", "welcome", "--var", "noequals"], "is not key=value"),
        (["render", "welcome", "--var", "signInUrl=javascript:alert(1)"], "signInUrl"),
        (["render", "invitation", "--var", "expiresAt=soon"], "expiresAt"),
        (["render"], "--list"),
    ],
)
def test_render_errors_are_explained_without_traceback(args: list[str], needle: str) -> None:
    result = run_cli(*args)
    assert result.returncode != 0
    assert needle in result.stderr and "Traceback" not in result.stderr


def test_send_help_names_the_providers_settings() -> None:
    text = " ".join(run_cli("send", "--help").stdout.split())
    for name in (
        "RESEND_API_KEY",
        "RESEND_FROM_APP_AUTH",
        "BLUAUTH_SES_FROM_ADDRESS",
        "BLUAUTH_SES_CONFIGURATION_SET",
        "MAILYARD_ALLOW_RECIPIENTS",
        "email_not_configured",
    ):
        assert name in text, name


def test_send_not_configured_says_what_is_missing(tmp_path: Path) -> None:
    result = run_cli(
        "send",
        "welcome",
        "--to",
        "jane@example.com",
        "--via",
        "ses",
        "--db",
        str(tmp_path / "s.db"),
        env={"BLUAUTH_SES_FROM_ADDRESS": ""},
    )
    assert result.returncode == 0  # the spec: the calling endpoint still succeeds
    assert "email_not_configured" in result.stdout and "BLUAUTH_SES_FROM_ADDRESS" in result.stdout
    assert "email_not_configured" in result.stderr  # the log line


def test_send_unknown_concept_is_explained(tmp_path: Path) -> None:
    result = run_cli("send", "nonsense", "--to", "jane@example.com", "--db", str(tmp_path / "s.db"))
    assert (
        result.returncode != 0
        and "unknown concept" in result.stderr
        and "Traceback" not in result.stderr
    )


def test_shutdown_ends_pending_long_polls_at_once(tmp_path: Path) -> None:
    import threading
    import time

    import httpx

    srv = start_server(tmp_path)
    outcome: dict[str, object] = {}

    def poll() -> None:
        try:
            response = httpx.get(
                srv.url + "/api/v1/messages/wait", params={"timeout": 120, "after": "0"}, timeout=60
            )
            outcome["status"] = response.status_code
        except httpx.HTTPError as exc:  # the connection may close instead; either is prompt
            outcome["status"] = type(exc).__name__

    waiter = threading.Thread(target=poll)
    waiter.start()
    deadline = time.monotonic() + 10
    with srv.api() as api:  # the poll is in flight once the server counts no new message for it
        while time.monotonic() < deadline and api.get("/livez").status_code != 200:
            time.sleep(0.05)
    time.sleep(0.3)  # let the poll reach its wait; shutdown must still end it promptly
    started = time.monotonic()
    assert srv.stop() == 0
    waiter.join(timeout=15)
    assert not waiter.is_alive() and time.monotonic() - started < 10
    assert outcome["status"] in (503, "RemoteProtocolError", "ReadError")


def test_db_sync_full_serves_and_keeps_mail(tmp_path: Path) -> None:
    import smtplib

    srv = start_server(tmp_path, "--db-sync", "full")
    try:
        with smtplib.SMTP("127.0.0.1", srv.smtp_port) as smtp:
            smtp.sendmail("a@example.com", ["b@example.com"], b"Subject: fully synced\r\n\r\nx")
        with srv.api() as api:
            assert [m["Subject"] for m in api.get("/api/v1/messages").json()["messages"]] == [
                "fully synced"
            ]
    finally:
        assert srv.stop() == 0
    srv = start_server(tmp_path, "--db-sync", "full", db=srv.db)  # and it is there after a restart
    try:
        with srv.api() as api:
            assert api.get("/api/v1/messages").json()["total"] == 1
    finally:
        assert srv.stop() == 0
