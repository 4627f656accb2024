"""A provider API on this machine (mailyard's own SES or Resend emulation, LocalStack) is not a
real provider: mail sent there does not leave, so the recipient allowlist does not apply."""

from __future__ import annotations

import pytest

from mailyard.sandbox.outbound.routing import DeliveryConfig, choose

SES = {"mode": "ses", "ses_from": "a@x.example", "aws_credentials": True}
RESEND = {"mode": "resend", "resend_api_key": "re_x"}


@pytest.mark.parametrize(
    ("config", "real"),
    [
        (DeliveryConfig(**SES), True),  # boto3's own endpoint (AWS)
        (DeliveryConfig(**SES, ses_endpoint_url="https://email.eu-west-1.amazonaws.com"), True),
        (DeliveryConfig(**SES, ses_endpoint_url="http://127.0.0.1:8025"), False),
        (DeliveryConfig(**SES, ses_endpoint_url="http://localhost:8025"), False),
        (DeliveryConfig(**SES, ses_endpoint_url="http://[::1]:8025"), False),
        (DeliveryConfig(**SES, ses_endpoint_url="http://10.0.0.5:4566"), True),
        (DeliveryConfig(**RESEND), True),  # https://api.resend.com
        (DeliveryConfig(**RESEND, resend_api_url="http://127.0.0.1:8025"), False),
        (DeliveryConfig(**RESEND, resend_api_url="https://resend.example.net"), True),
    ],
)
def test_a_provider_api_on_loopback_does_not_leave_the_machine(
    config: DeliveryConfig, real: bool
) -> None:
    route = choose(config)
    assert route.configured
    assert route.real is real
