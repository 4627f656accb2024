"""The auth service's settings: flags, environment, and clear errors."""

from __future__ import annotations

import pytest

from mailyard.web.auth.service import public_url
from mailyard.web.settings import SettingsError, load_settings


def test_defaults_and_environment() -> None:
    settings = load_settings(
        {}, {"MAILYARD_ADMIN_TOKEN": "t0ken", "MAILYARD_AUTH_RESET_TTL": "30m"}
    )
    assert settings.auth_service and settings.auth_email_verification
    assert settings.admin_token == "t0ken" and "t0ken" in settings.secrets()
    assert "t0ken" not in repr(settings)
    assert settings.auth_reset_ttl == 1800
    assert public_url(settings, 8025) == "http://127.0.0.1:8025"
    wildcard = settings.replace(host="0.0.0.0")
    assert public_url(wildcard, 9000) == "http://127.0.0.1:9000"
    given = settings.replace(auth_public_url="https://auth.example.com/")
    assert public_url(given, 8025) == "https://auth.example.com"


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        ({"auth_public_url": "ftp://auth.example.com"}, "--auth-public-url"),
        ({"auth_public_url": "https://auth.example.com/?q=1"}, "--auth-public-url"),
        ({"auth_public_url": "https://user@auth.example.com"}, "--auth-public-url"),
        ({"auth_reset_ttl": 0.0}, "--auth-reset-ttl"),
    ],
)
def test_bad_values_name_their_flag(flags: dict[str, object], needle: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(flags, {})
    assert caught.value.source == needle
