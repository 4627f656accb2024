"""The `mailyard` command as a person meets it: help, flags, environment, and clean errors.

In process, through click's CliRunner; tests/e2e/ runs the real command."""

from __future__ import annotations

import logging
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from mailyard.web.cli import main
from mailyard.web.cli.serve import serve_command
from mailyard.web.settings import options

FIXTURES = Path(__file__).resolve().parents[2].parent / "fixtures"


def run_cli(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_every_serve_option_is_documented_with_its_environment_variable() -> None:
    result = run_cli("serve", "--help")
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    declared = options()
    for param in serve_command.params:
        if isinstance(param, click.Option) and param.name != "help":
            assert param.opts[0] in text, param.opts[0]
            for variable in declared[str(param.name)].env:
                assert variable in text, param.name


def test_settings_only_the_environment_sets_are_listed_too() -> None:
    text = " ".join(run_cli("serve", "--help").output.split())
    for variable in ("RESEND_API_KEY", "BLUAUTH_SES_FROM_ADDRESS", "MAILYARD_RELAY_PASSWORD"):
        assert variable in text


def test_top_level_help_lists_commands_without_importing_them() -> None:
    result = run_cli("--help")
    assert result.exit_code == 0
    for name in ("serve", "render", "send"):
        assert name in result.output


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--max-age", "soon"], "not a duration"),
        (["--smtp-max-size", "huge"], "not a size"),
        (["--smtp-tls-cert", "c.pem"], "go together"),
        (["--smtp-tls-implicit"], "needs --smtp-tls-cert"),
        (["--smtp-auth-file", "/nonexistent/users"], "cannot read /nonexistent/users"),
        (["--smtp-port", "70000"], "70000"),
        (["--db", "/nonexistent/dir/x.db"], "the folder does not exist"),
    ],
)
def test_bad_flags_are_explained_without_traceback(
    tmp_path: Path, args: list[str], needle: str
) -> None:
    result = CliRunner().invoke(
        main,
        ["serve", "--smtp-port", "0", "--http-port", "0", "--db", str(tmp_path / "x.db"), *args],
    )
    assert result.exit_code != 0
    assert needle in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not Path("/nonexistent/dir").exists()


@pytest.mark.parametrize(
    ("variable", "value", "needle"),
    [
        ("MAILYARD_SMTP_PORT", "lots", "MAILYARD_SMTP_PORT: 'lots' is not a port"),
        ("MAILYARD_MAX_AGE", "forever", "MAILYARD_MAX_AGE: 'forever' is not a duration"),
        ("MAILYARD_DELIVERY", "pigeon", "MAILYARD_DELIVERY: 'pigeon' is not one of"),
        ("MAILYARD_DRY_RUN", "maybe", "MAILYARD_DRY_RUN: 'maybe' is not true or false"),
    ],
)
def test_bad_environment_values_name_the_variable(variable: str, value: str, needle: str) -> None:
    result = CliRunner().invoke(main, ["serve"], env={variable: value})
    assert result.exit_code == 2 and needle in result.output


def test_render_list_names_every_concept_and_variable() -> None:
    from mailyard.renderer import CONCEPTS

    result = run_cli("render", "--list")
    assert result.exit_code == 0
    for name, cls in CONCEPTS.items():
        assert name in result.output
        for var in cls.variables():
            assert var["spec"] in result.output


def test_render_writes_html_text_and_eml(tmp_path: Path) -> None:
    out = tmp_path / "reset.eml"
    result = run_cli(
        "render", "password-reset", "--theme", "nordlicht", "--locale", "de",
        "--var", "userName=Jörg", "--format", "eml", "--test", "-o", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    parsed = message_from_bytes(out.read_bytes(), policy=default)
    assert parsed["Subject"].startswith("[TEST] ") and "Nordlicht" in parsed["From"]
    assert "Hallo Jörg," in parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert run_cli("render", "welcome", "--format", "text").output.startswith("Welcome to mailyard")
    html = run_cli("render", "invitation", "--theme", str(FIXTURES / "themes/acme.json")).output
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
    result = CliRunner().invoke(main, args)
    assert result.exit_code != 0
    assert needle in result.output and "Traceback" not in result.output


def test_send_help_names_the_providers_settings() -> None:
    text = " ".join(run_cli("send", "--help").output.split())
    for name in (
        "RESEND_API_KEY",
        "RESEND_FROM_APP_AUTH",
        "BLUAUTH_SES_FROM_ADDRESS",
        "BLUAUTH_SES_CONFIGURATION_SET",
        "MAILYARD_ALLOW_RECIPIENTS",
        "email_not_configured",
    ):
        assert name in text, name


def test_standalone_send_not_configured_says_what_is_missing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="mailyard.email"):
        result = run_cli(
            "send", "welcome", "--to", "jane@example.com", "--via", "ses", "--standalone",
            env={"BLUAUTH_SES_FROM_ADDRESS": ""},
        )  # fmt: skip
    assert result.exit_code == 0, result.output  # the spec: the calling endpoint still succeeds
    assert "email_not_configured" in result.output and "BLUAUTH_SES_FROM_ADDRESS" in result.output
    assert "email_not_configured" in caplog.text  # the log line


@pytest.mark.parametrize(
    ("via", "says"),
    [
        ("none", "delivery is set to none, so nothing is ever sent"),
        ("auto", "no provider is configured: set RESEND_API_KEY"),
    ],
)
def test_send_says_what_happened_in_plain_words(via: str, says: str) -> None:
    result = run_cli(
        "send", "welcome", "--to", "jane@example.com", "--via", via, "--standalone",
        env={"RESEND_API_KEY": "", "BLUAUTH_SES_FROM_ADDRESS": ""},
    )  # fmt: skip
    assert result.exit_code == 0 and says in result.output
    assert "needs" not in result.output


def test_send_unknown_concept_is_explained() -> None:
    result = CliRunner().invoke(main, ["send", "nonsense", "--to", "jane@example.com"])
    assert result.exit_code != 0 and "unknown concept" in result.output


def test_checklist_help_says_the_expiry_check_moves_the_shared_clock() -> None:
    text = " ".join(run_cli("checklist", "--help").output.split())
    assert "the expiry check moves that mailyard's clock forward" in text
    assert "other tests sharing that server see their delays and held deliveries released" in text
    assert "Retry-After of up to 10 s is waited out" in text
