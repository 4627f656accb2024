"""A compose file moved over from Mailpit keeps working: Mailpit's MP_* names are read where
mailyard has the same setting, and the ones it cannot read are named, never dropped quietly."""

from __future__ import annotations

import pytest

from mailyard.web.settings import load_settings, unread_mailpit_variables


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("MP_UI_AUTH_FILE", "/etc/mailpit/users", "ui_auth_file", "/etc/mailpit/users"),
        ("MP_DATABASE", "/data/mailpit.db", "db", "/data/mailpit.db"),
        ("MP_MAX_MESSAGES", "500", "max_messages", 500),
        ("MP_SMTP_AUTH_FILE", "/etc/mailpit/smtp", "smtp_auth_file", "/etc/mailpit/smtp"),
        ("MP_SMTP_REQUIRE_STARTTLS", "true", "smtp_require_tls", True),
        ("MP_WEBHOOK_URL", "http://127.0.0.1:9/new", "webhook_url", "http://127.0.0.1:9/new"),
        ("MP_ENABLE_CHAOS", "true", "enable_chaos", True),
    ],
)
def test_mailpits_names_set_the_same_settings(
    variable: str, value: str, field: str, expected: object
) -> None:
    assert getattr(load_settings({}, {variable: value}), field) == expected


def test_mailyards_own_name_wins_over_mailpits() -> None:
    env = {"MAILYARD_MAX_MESSAGES": "7", "MP_MAX_MESSAGES": "500"}
    assert load_settings({}, env).max_messages == 7


def test_mailpit_names_mailyard_cannot_read_are_listed() -> None:
    env = {"MP_UI_BIND_ADDR": "0.0.0.0:8025", "MP_QUIET": "true", "MP_POP3_AUTH_FILE": "x"}
    assert unread_mailpit_variables(env) == ["MP_POP3_AUTH_FILE", "MP_UI_BIND_ADDR"]
