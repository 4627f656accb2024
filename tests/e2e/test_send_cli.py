"""`mailyard send` as a user runs it: handed to a running server, or standalone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from support.mail import messages
from support.servers import Process

from mailyard.web.settings import load_settings

CANARIES = {
    "RESEND_API_KEY": "re_CANARY_resend_key_0001",
    "AWS_SECRET_ACCESS_KEY": "CANARY/aws/secret/0002",
    "MAILYARD_RELAY_PASSWORD": "CANARY-smtp-password-0003",
}


def _send(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailyard.web", "send", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
        cwd=cwd,
    )


def test_a_send_is_handed_to_the_running_server_and_lands_in_its_send_log(
    server: Process, tmp_path: Path
) -> None:
    """Checklist step 4 from a test: the server's send log says email_not_configured."""
    skipped = _send(
        "password-reset",
        "--to",
        "jane@example.com",
        "--via",
        "resend",
        "--server",
        server.url,
        env={"HOME": str(tmp_path)},
        cwd=tmp_path,
    )
    sent = _send(
        "welcome",
        "--to",
        "handover@example.com",
        "--server",
        server.url,
        "--json",
        env={"HOME": str(tmp_path)},
        cwd=tmp_path,
    )
    assert skipped.returncode == 0, skipped.stderr
    assert "not sent" in skipped.stdout and "email_not_configured" in skipped.stdout
    assert json.loads(sent.stdout)["outcome"] == "sent", sent.stdout
    assert not list(tmp_path.glob("*.db")), "the CLI must not leave a database behind"
    with server.api() as api:
        log = api.get("/api/v1/send-log", params={"reason": "email_not_configured"}).json()
        delivered = messages(api, "default", query="to:handover@example.com")
    assert log["entries"][0]["concept"] == "password-reset"
    assert log["entries"][0]["missing"] == ["RESEND_API_KEY"]
    assert len(delivered) == 1


def test_sandbox_send_without_a_server_says_how_to_find_one(tmp_path: Path) -> None:
    result = _send(
        "welcome",
        "--to",
        "jane@example.com",
        "--http-port",
        "9",
        env={"HOME": str(tmp_path)},
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "no mailyard serve is answering at http://127.0.0.1:9" in result.stderr
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.iterdir())


def test_secrets_never_appear_in_logs_errors_reprs_or_the_api(
    tmp_path: Path, server: Process
) -> None:
    env = {
        **CANARIES,
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": "AKIDCANARY",
        "AWS_ENDPOINT_URL_SESV2": "http://127.0.0.1:9",
        "BLUAUTH_SES_FROM_ADDRESS": "no-reply@auth.example.com",
        "RESEND_API_URL": "http://127.0.0.1:9",
        "MAILYARD_RELAY_HOST": "127.0.0.1",
        "MAILYARD_RELAY_PORT": str(server.smtp_port),
        "MAILYARD_RELAY_USER": "canary-user",
        "MAILYARD_RELAY_TLS": "none",
        "MAILYARD_ALLOW_RECIPIENTS": "jane@example.com",
    }
    outputs = []
    for via in ("resend", "ses", "smtp"):
        result = _send(
            "password-reset",
            "--to",
            "jane@example.com",
            "--via",
            via,
            "--standalone",
            "--db",
            str(tmp_path / "canary.db"),
            "--json",
            env=env,
        )
        outputs.append(result.stdout + result.stderr)
    settings = load_settings({}, env)
    outputs += [repr(settings)]
    with server.api() as api:
        outputs.append(api.get("/api/v1/send-log").text)
    outputs.append(server.output())
    text = "\n".join(outputs)
    assert all(f'"provider": "{p}"' in text for p in ("resend", "ses", "smtp")), text
    for name, secret in CANARIES.items():
        assert secret not in text, name


def test_a_handed_over_send_says_in_plain_words_what_the_server_did(
    server: Process, tmp_path: Path
) -> None:
    env = {"HOME": str(tmp_path), "RESEND_API_KEY": "re_only_in_this_shell"}
    none = _send("welcome", "--to", "jane@example.com", "--via", "none", "--server", server.url,
                 env=env, cwd=tmp_path)  # fmt: skip
    resend = _send("welcome", "--to", "delivered@resend.dev", "--via", "resend", "--dry-run",
                   "--server", server.url, env=env, cwd=tmp_path)  # fmt: skip
    assert none.returncode == 0 and resend.returncode == 0, none.stderr + resend.stderr
    assert f"not sent (by the server at {server.url}): delivery is set to none" in none.stdout
    assert "needs" not in none.stdout
    said = " ".join(resend.stdout.split())
    assert "RESEND_API_KEY is set in this shell, but the server sends with its own settings" in said
    assert "A dry run goes exactly as far as a real send would" in said
    assert "re_only_in_this_shell" not in resend.stdout + resend.stderr
