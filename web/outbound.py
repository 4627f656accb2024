"""Building the mailer from the environment: the spec's variables, AWS's, and MAILYARD_*.

The only place provider clients are created: a boto3 `sesv2` client (region, credentials and
AWS_ENDPOINT_URL_SESV2 the AWS way, botocore's own retries off so `Retrying` is the one layer),
an `httpx.AsyncClient` for Resend, an SMTP relay address.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import httpx

from mailyard.sandbox.outbound.allowlist import Allowlist
from mailyard.sandbox.outbound.mailer import Mailer
from mailyard.sandbox.outbound.routing import DeliveryConfig, Route, choose
from mailyard.sandbox.store import Store
from mailyard.senders import (
    DEFAULT_API_URL,
    ResendSender,
    Retrying,
    Sender,
    SESSender,
    SMTPRelay,
    SMTPSender,
)


def _aws_credentials(env: Mapping[str, str]) -> bool:
    import boto3

    try:
        return (
            boto3.Session(profile_name=env.get("AWS_PROFILE") or None).get_credentials() is not None
        )
    except Exception:  # a broken profile: treat as no credentials, the not-configured path
        return False


def config_from_env(env: Mapping[str, str] | None = None, **overrides: object) -> DeliveryConfig:
    """DeliveryConfig from the environment; `overrides` (from flags) win."""
    env = os.environ if env is None else env
    mode = str(overrides.get("mode") or env.get("MAILYARD_DELIVERY", "sandbox"))
    values: dict[str, object] = {
        "mode": mode,
        "resend_api_key": env.get("RESEND_API_KEY") or None,
        "resend_from": env.get("RESEND_FROM_APP_AUTH") or None,
        "resend_api_url": env.get("RESEND_API_URL") or DEFAULT_API_URL,
        "ses_from": env.get("BLUAUTH_SES_FROM_ADDRESS") or None,
        "ses_configuration_set": env.get("BLUAUTH_SES_CONFIGURATION_SET") or None,
        # boto3 costs ~18 MB of memory: imported only when the mode can route to SES.
        "aws_credentials": mode in ("ses", "auto") and _aws_credentials(env),
        "smtp_host": env.get("MAILYARD_RELAY_HOST") or None,
        "smtp_port": int(env.get("MAILYARD_RELAY_PORT") or 587),
        "smtp_username": env.get("MAILYARD_RELAY_USER") or None,
        "smtp_password": env.get("MAILYARD_RELAY_PASSWORD") or None,
        "smtp_tls": env.get("MAILYARD_RELAY_TLS") or "starttls",
        "sandbox_host": env.get("MAILYARD_HOST") or "127.0.0.1",
        "sandbox_port": int(env.get("MAILYARD_SMTP_PORT") or 1025),
        "from_address": env.get("MAILYARD_FROM") or None,
        "source_app": env.get("MAILYARD_SOURCE_APP") or "bluauth",
        "allow_recipients": env.get("MAILYARD_ALLOW_RECIPIENTS") or "",
        "dry_run": (env.get("MAILYARD_DRY_RUN") or "").lower() in ("1", "true", "yes"),
    }
    values.update({k: v for k, v in overrides.items() if v is not None})
    return DeliveryConfig(**values)  # type: ignore[arg-type]


def build_sender(
    route: Route, config: DeliveryConfig, env: Mapping[str, str] | None = None
) -> Sender | None:
    """The sender for `route`, or None when it is not configured."""
    env = os.environ if env is None else env
    if not route.configured:
        return None
    sender: Sender
    if route.provider == "ses":
        import boto3
        from botocore.config import Config

        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
        client = boto3.Session(profile_name=env.get("AWS_PROFILE") or None).client(
            "sesv2",
            region_name=region,
            config=Config(retries={"max_attempts": 1, "mode": "standard"}),
        )
        sender = SESSender(
            client, configuration_set=config.ses_configuration_set, source_app=config.source_app
        )
    elif route.provider == "resend":
        http = httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=5.0))
        sender = ResendSender(http, config.resend_api_key or "", config.resend_api_url)
    elif route.provider == "smtp":
        relay = SMTPRelay(
            host=config.smtp_host or "",
            port=config.smtp_port,
            username=config.smtp_username,
            password=config.smtp_password,
            tls=config.smtp_tls,
        )
        sender = SMTPSender(relay)
    else:  # the sandbox: our own sink, over the wire
        sender = SMTPSender(
            SMTPRelay(host=config.sandbox_host, port=config.sandbox_port, tls="none"), "sandbox"
        )
    return Retrying(sender)


def build_mailer(
    config: DeliveryConfig,
    store: Store,
    *,
    via: str | None = None,
    log_format: str = "kv",
    env: Mapping[str, str] | None = None,
) -> Mailer:
    route = choose(config, via)
    return Mailer(
        route,
        build_sender(route, config, env),
        log_key=store.log_key,
        store=store,
        allowlist=Allowlist.parse(config.allow_recipients),
        source_app=config.source_app,
        dry_run=config.dry_run,
        log_format=log_format,
    )
