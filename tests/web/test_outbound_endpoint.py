"""The composition root learns where boto3 will send SES calls, so a mailer aimed at a local
SES (mailyard's emulation) is not treated as a real provider."""

from __future__ import annotations

import pytest

from mailyard.sandbox import choose
from mailyard.web.outbound import delivery_config
from mailyard.web.settings import Settings


def test_the_ses_endpoint_is_the_one_boto3_resolves(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SESV2", "http://127.0.0.1:8025")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIALOCAL")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "any")
    config = delivery_config(
        Settings(delivery="ses", ses_from="no-reply@auth.test"),
        sandbox_host="127.0.0.1",
        sandbox_port=1025,
    )
    assert config.ses_endpoint_url == "http://127.0.0.1:8025"
    route = choose(config)
    assert route.configured and not route.real


def test_without_an_endpoint_setting_ses_is_aws_and_real(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ENDPOINT_URL_SESV2", "AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    config = delivery_config(
        Settings(delivery="ses", ses_from="no-reply@auth.test", aws_region="eu-west-1"),
        sandbox_host="127.0.0.1",
        sandbox_port=1025,
    )
    assert config.ses_endpoint_url == "https://email.eu-west-1.amazonaws.com"
    assert choose(config).real


def test_other_routes_do_not_ask_boto3() -> None:
    config = delivery_config(Settings(), sandbox_host="127.0.0.1", sandbox_port=1025)
    assert config.ses_endpoint_url is None
