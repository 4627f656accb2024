"""The mailer: routing, the not-configured path, the allowlist, the log line and its secrets."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Server, messages

from mailyard.renderer import Theme
from mailyard.renderer.samples import sample
from mailyard.sandbox.outbound.allowlist import Allowlist
from mailyard.sandbox.outbound.mailer import Mailer, recipient_hash
from mailyard.sandbox.outbound.routing import MIOSA_DEFAULT_FROM, DeliveryConfig, choose
from mailyard.sandbox.store import Store
from mailyard.web.delivery import build_mailer, build_sender, config_from_env


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


@pytest.fixture
def store(tmp_path: Path) -> Any:
    with Store(str(tmp_path / "m.db")) as s:
        yield s


@pytest.mark.parametrize(
    ("config", "provider", "configured"),
    [
        (DeliveryConfig(), "sandbox", True),
        (DeliveryConfig(mode="auto", resend_api_key="re_x"), "resend", True),
        (DeliveryConfig(mode="auto", ses_from="a@x.example", aws_credentials=True), "ses", True),
        (DeliveryConfig(mode="auto"), "none", False),
        (DeliveryConfig(mode="resend"), "resend", False),
        (DeliveryConfig(mode="ses", ses_from="a@x.example"), "ses", False),  # no AWS credentials
        (DeliveryConfig(mode="ses", aws_credentials=True), "ses", False),  # no from address
        (DeliveryConfig(mode="smtp"), "smtp", False),
        (DeliveryConfig(mode="none"), "none", False),
    ],
)
def test_routing(config: DeliveryConfig, provider: str, configured: bool) -> None:
    route = choose(config)
    assert (route.provider, route.configured) == (provider, configured)
    assert route.real == (provider in ("ses", "resend"))


def test_resend_from_follows_the_spec() -> None:
    assert (
        choose(DeliveryConfig(mode="resend", resend_api_key="k")).from_address == MIOSA_DEFAULT_FROM
    )
    configured = DeliveryConfig(
        mode="resend", resend_api_key="k", resend_from="Your App <noreply@yourdomain.com>"
    )
    assert choose(configured).from_address == "noreply@yourdomain.com"


def test_unknown_delivery_mode_is_an_error() -> None:
    with pytest.raises(ValueError, match="delivery must be one of"):
        choose(DeliveryConfig(mode="pigeon"))


@pytest.mark.parametrize("mode", ["ses", "resend", "smtp", "none", "auto"])
def test_not_configured_sends_nothing_logs_it_and_still_succeeds(
    mode: str, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    config = DeliveryConfig(mode=mode)
    route = choose(config)
    mailer = Mailer(route, build_sender(route, config, env={}), log_key=store.log_key, store=store)
    with caplog.at_level(logging.INFO, logger="mailyard.email"):
        result = _run(mailer.send(sample("password-reset"), "jane@example.com"))
    assert result.outcome == "skipped" and result.reason == "email_not_configured" and result.ok
    (line,) = [r for r in caplog.records if r.name == "mailyard.email"]
    assert line.levelno == logging.WARNING and "email_not_configured" in line.getMessage()
    assert "jane@example.com" not in line.getMessage()
    (entry,) = _log_entries(store)
    assert (
        entry["outcome"] == "skipped"
        and entry["reason"] == "email_not_configured"
        and entry["missing"]
    )


def _log_entries(store: Store) -> list[dict[str, object]]:
    from mailyard.sandbox.store import queries

    return queries.send_log(store.reader)


def test_allowlist_blocks_real_addresses_and_allows_provider_test_addresses(store: Store) -> None:
    config = DeliveryConfig(
        mode="resend",
        resend_api_key="re_x",
        resend_api_url="http://127.0.0.1:9",
        allow_recipients="qa@example.com, *@staging.example.com",
    )
    mailer = build_mailer(config, store, env={})
    blocked = _run(mailer.send(sample("welcome"), "ceo@customer.example"))
    assert blocked.outcome == "blocked" and blocked.error_code == "recipient_not_allowed"
    assert "ceo@customer.example" in (blocked.reason or "") and "MAILYARD_ALLOW_RECIPIENTS" in (
        blocked.reason or ""
    )
    allow = Allowlist.parse(config.allow_recipients)
    for ok in (
        "QA@Example.com",
        "a@staging.example.com",
        "bounce+x@simulator.amazonses.com",
        "delivered@resend.dev",
    ):
        assert allow.allows(ok), ok
    for bad in (
        '"qa@example.com"@evil.example',
        "qa@example.com.evil.example",
        "x@sub.staging.example.com.evil",
    ):
        assert not allow.allows(bad), bad


def test_dry_run_renders_and_logs_but_sends_nothing(store: Store) -> None:
    config = DeliveryConfig(mode="sandbox", sandbox_port=9, dry_run=True)
    result = _run(build_mailer(config, store, env={}).send(sample("welcome"), "jane@example.com"))
    assert result.outcome == "dry_run" and result.ok
    assert _log_entries(store)[0]["outcome"] == "dry_run"


def test_sandbox_delivery_reaches_the_sink_with_the_theme_as_display_name(
    server: Server, store: Store
) -> None:
    config = DeliveryConfig(
        mode="sandbox", sandbox_port=server.smtp_port, from_address="no-reply@auth.example.com"
    )
    result = _run(
        build_mailer(config, store, env={}).send(
            sample("invitation", {"clientName": "Sandbox Delivery Test"}),
            "sandbox-delivery@example.com",
            theme=Theme(name="Media Conductor"),
            locale="de",
        )
    )
    assert result.outcome == "sent", result
    with server.api() as api:
        found = messages(api, "default", query="to:sandbox-delivery@example.com")
    assert found[0]["From"] == {"Name": "Media Conductor", "Address": "no-reply@auth.example.com"}
    assert found[0]["Subject"] == "Sie sind zu Sandbox Delivery Test eingeladen"
    assert result.message_id == found[0]["ID"]


def test_failed_send_keeps_the_provider_error_code(store: Store) -> None:
    config = DeliveryConfig(mode="sandbox", sandbox_port=9)  # nothing listens there
    result = _run(build_mailer(config, store, env={}).send(sample("welcome"), "jane@example.com"))
    assert result.outcome == "failed" and result.error_code == "connection_error" and not result.ok
    assert result.attempts == 4  # retried, bounded


def test_recipient_hash_is_keyed_and_stable(tmp_path: Path) -> None:
    with Store(str(tmp_path / "a.db")) as a, Store(str(tmp_path / "b.db")) as b:
        key_a, key_b = a.log_key, b.log_key
    with Store(str(tmp_path / "a.db")) as again:
        assert again.log_key == key_a  # stable within an install
    assert key_a != key_b and len(key_a) == 32
    address = "Jane@Example.com"
    assert recipient_hash(key_a, address) == recipient_hash(key_a, "jane@example.com")
    assert recipient_hash(key_a, address) != recipient_hash(key_b, address)
    assert hashlib.sha256(b"jane@example.com").hexdigest()[:24] not in recipient_hash(
        key_a, address
    )


def test_json_log_format(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    route = choose(DeliveryConfig(mode="ses"))
    mailer = Mailer(route, None, log_key=store.log_key, log_format="json")
    with caplog.at_level(logging.INFO, logger="mailyard.email"):
        _run(mailer.send(sample("welcome"), "jane@example.com", theme=Theme(name="Acme")))
    record = json.loads(caplog.records[-1].getMessage())
    assert record["email.concept"] == "welcome" and record["theme"] == "Acme"
    assert (
        record["provider"] == "ses"
        and record["outcome"] == "skipped"
        and record["recipient"].startswith("hmac:")
    )


CANARIES = {
    "RESEND_API_KEY": "re_CANARY_resend_key_0001",
    "AWS_SECRET_ACCESS_KEY": "CANARY/aws/secret/0002",
    "MAILYARD_RELAY_PASSWORD": "CANARY-smtp-password-0003",
}


def test_secrets_never_appear_in_logs_errors_reprs_or_the_api(
    tmp_path: Path, server: Server
) -> None:
    env = {
        **CANARIES,
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
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "mailyard.web",
                "send",
                "password-reset",
                "--to",
                "jane@example.com",
                "--via",
                via,
                "--db",
                str(tmp_path / "canary.db"),
                "--json",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **env},
        )
        outputs.append(result.stdout + result.stderr)
    config = config_from_env(env)
    outputs += [repr(config), repr(choose(config))]
    with Store(str(tmp_path / "canary.db")) as s:
        outputs.append(json.dumps(_log_entries(s)))
    outputs.append(server.output())
    text = "\n".join(outputs)
    assert (
        '"provider": "resend"' in text
        and '"provider": "ses"' in text
        and '"provider": "smtp"' in text
    )
    for name, secret in CANARIES.items():
        assert secret not in text, name


def test_send_log_api_answers_the_checklist(server: Server, tmp_path: Path) -> None:
    """Checklist step 4: 'confirm the backend does not log email_not_configured'."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "mailyard.web",
            "send",
            "password-reset",
            "--to",
            "jane@example.com",
            "--via",
            "resend",
            "--db",
            str(server.db),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    with server.api() as api:
        skipped = api.get("/api/v1/send-log", params={"reason": "email_not_configured"}).json()
        delivery = api.get("/api/v1/delivery").json()
        bad = api.get("/api/v1/send-log", params={"outcome": "maybe"})
    assert skipped["count"] >= 1 and skipped["entries"][0]["concept"] == "password-reset"
    assert skipped["entries"][0]["missing"] == ["RESEND_API_KEY"]
    assert delivery["provider"] == "sandbox" and delivery["configured"] is True
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "outcome"
