"""What the CLI says when something does not go as asked: in plain words, with what to set.

In process, through click's CliRunner (standalone sends only: the hand-over to a running
server is in tests/e2e/test_send_cli.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mailyard.sandbox import listen
from mailyard.web.cli import main
from mailyard.web.cli.outcome import describe_outcome
from mailyard.web.settings import load_settings

NO_PROVIDERS = {"RESEND_API_KEY": "", "BLUAUTH_SES_FROM_ADDRESS": "", "MAILYARD_DELIVERY": ""}


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env={**NO_PROVIDERS, **(env or {})})


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    sock = listen("127.0.0.1", 0)
    port = int(sock.getsockname()[1])
    sock.close()
    return port


# -- send: what happened, in plain words -------------------------------------------------------


def test_send_via_none_says_nothing_is_sent_and_how_to_choose_a_delivery() -> None:
    result = run("send", "welcome", "--to", "jane@example.com", "--via", "none", "--standalone")
    assert result.exit_code == 0
    assert "delivery is set to none, so nothing is ever sent" in result.stdout
    assert "--via or MAILYARD_DELIVERY" in result.stdout
    assert "needs" not in result.stdout and "=none" not in result.stdout


def test_a_dry_run_of_an_unconfigured_provider_says_why_it_did_not_dry_run() -> None:
    result = run(
        "send", "welcome", "--to", "delivered@resend.dev", "--via", "resend", "--dry-run",
        "--standalone",
    )  # fmt: skip
    assert result.exit_code == 0
    assert "resend is not configured: set RESEND_API_KEY" in result.stdout
    assert "A dry run goes exactly as far as a real send would" in result.stdout
    assert "any value of the missing settings will do" in result.stdout


def test_a_dry_run_to_a_recipient_a_provider_may_not_mail_names_the_test_addresses() -> None:
    result = run(
        "send", "welcome", "--to", "jane@example.com", "--via", "resend", "--dry-run",
        "--standalone", env={"RESEND_API_KEY": "re_dry_run_only"},
    )  # fmt: skip
    assert result.exit_code == 1
    assert "not in MAILYARD_ALLOW_RECIPIENTS" in result.stderr
    assert "delivered@resend.dev" in result.stderr and "stopped there too" in result.stderr


def test_a_configured_dry_run_renders_and_sends_nothing() -> None:
    result = run(
        "send", "welcome", "--to", "delivered@resend.dev", "--via", "resend", "--dry-run",
        "--standalone", env={"RESEND_API_KEY": "re_dry_run_only"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("dry run: rendered 'Welcome to mailyard' for resend")
    assert "Found credentials" not in result.stderr and "HTTP Request" not in result.stderr


def test_a_server_without_the_provider_is_told_apart_from_this_shells_settings() -> None:
    settings = load_settings({}, {"RESEND_API_KEY": "re_in_this_shell"})
    data = {
        "outcome": "skipped",
        "provider": "resend",
        "missing": ["RESEND_API_KEY"],
        "server": "http://127.0.0.1:8025",
    }
    text = describe_outcome(data, settings)
    assert text.startswith("not sent (by the server at http://127.0.0.1:8025): resend is not")
    assert "RESEND_API_KEY is set in this shell, but the server sends with its own settings" in text
    assert "--standalone" in text and "re_in_this_shell" not in text


# -- send: a server on another port ----------------------------------------------------------


def test_a_standalone_send_to_a_closed_smtp_port_points_at_both_ports() -> None:
    port = closed_port()
    result = run("send", "welcome", "--to", "jane@example.com", "--standalone",
                 "--smtp-port", str(port))  # fmt: skip
    assert result.exit_code == 1
    told = " ".join(result.stderr.split())
    assert f"No mailyard serve is listening for SMTP on 127.0.0.1:{port}" in told
    assert "MAILYARD_SMTP_PORT or --smtp-port" in told
    assert "MAILYARD_HTTP_PORT or --http-port" in told and "Traceback" not in result.output


def test_without_a_server_the_smtp_port_is_said_to_need_standalone() -> None:
    http_port = closed_port()
    result = run(
        "send", "welcome", "--to", "jane@example.com", "--http-port", str(http_port),
        env={"MAILYARD_SMTP_PORT": "2525"},
    )  # fmt: skip
    assert result.exit_code == 1
    told = " ".join(result.stderr.split())
    assert f"no mailyard serve is answering at http://127.0.0.1:{http_port}" in told
    assert "MAILYARD_HTTP_PORT / --http-port" in told
    assert "MAILYARD_SMTP_PORT / --smtp-port (2525) is only used with --standalone" in told


# -- render and send: an unknown locale or time zone -------------------------------------------


@pytest.mark.parametrize(
    ("args", "warning"),
    [
        (
            ["--locale", "pt-BR"],
            "warning: locale 'pt-BR' is not supported (supported: en-US, de, fr, es, ja, ar); "
            "used en-US instead",
        ),
        (
            ["--timezone", "Europe/Berln"],
            "warning: unknown time zone 'Europe/Berln' (did you mean Europe/Berlin",
        ),
        (["--timezone", "Tokyo"], "(did you mean Asia/Tokyo?); used UTC instead"),
        (["--timezone", "PST"], "use an IANA name such as Europe/Berlin"),
    ],
)
def test_render_warns_of_an_unknown_locale_or_time_zone(args: list[str], warning: str) -> None:
    result = run("render", "invitation", "--format", "text", *args)
    assert result.exit_code == 0
    assert warning in result.stderr and "--strict" in result.stderr
    assert warning not in result.stdout  # the email itself stays clean


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--locale", "tlh"], "--locale: locale 'tlh' is not supported (supported: en-US,"),
        (["--timezone", "Berlin"], "--timezone: unknown time zone 'Berlin' (did you mean Europe/"),
    ],
)
def test_render_strict_fails_naming_the_flag_and_what_would_work(
    args: list[str], error: str
) -> None:
    result = run("render", "invitation", "--strict", *args)
    assert result.exit_code == 1
    assert error in result.stderr and "used" not in result.stderr
    assert result.stdout == ""


def test_send_warns_of_an_unknown_locale_before_sending() -> None:
    result = run(
        "send", "welcome", "--to", "jane@example.com", "--via", "none", "--standalone",
        "--locale", "klingon", "--timezone", "Berlin",
    )  # fmt: skip
    assert result.exit_code == 0
    assert "warning: locale 'klingon' is not supported (supported: en-US" in result.stderr
    assert "(did you mean Europe/Berlin?)" in result.stderr


# -- a database in a folder that does not exist --------------------------------------------------


@pytest.mark.parametrize(
    ("args", "env", "source"),
    [
        (["serve", "--db", "/nonexistent/dir/x.db"], {}, "--db / MAILYARD_DB"),
        (["serve"], {"MAILYARD_DB": "/nonexistent/dir/x.db"}, "--db / MAILYARD_DB"),
        (
            ["send", "welcome", "--to", "j@example.com", "--standalone", "--via", "none",
             "--db", "/nonexistent/dir/x.db"],
            {},
            "--db",
        ),
    ],
)  # fmt: skip
def test_a_database_folder_that_does_not_exist_is_refused_not_created(
    args: list[str], env: dict[str, str], source: str
) -> None:
    result = run(*args, env=env)
    assert result.exit_code == 2
    assert (
        f"{source}: cannot create /nonexistent/dir/x.db: the folder does not exist. "
        "Create it first (mkdir -p /nonexistent/dir)"
    ) in " ".join(result.stderr.split())
    assert "Traceback" not in result.output
    assert not Path("/nonexistent").exists()


def test_a_database_in_an_existing_folder_is_accepted(tmp_path: Path) -> None:
    result = run(
        "send", "welcome", "--to", "j@example.com", "--standalone", "--via", "none",
        "--db", str(tmp_path / "log.db"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (tmp_path / "log.db").exists()
