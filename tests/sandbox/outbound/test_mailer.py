"""The mailer: routing, the not-configured path, the allowlist, the log line and its secrets."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from support.mail import Server, messages

from mailyard.renderer import Theme
from mailyard.renderer.samples import sample
from mailyard.sandbox.outbound.allowlist import Allowlist
from mailyard.sandbox.outbound.mailer import Mailer, recipient_hash
from mailyard.sandbox.outbound.routing import MIOSA_DEFAULT_FROM, DeliveryConfig, choose
from mailyard.sandbox.store import Store
from mailyard.web.outbound import build_mailer, build_sender


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(str(tmp_path / "m.db")) as s:
        yield s


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


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
async def test_not_configured_sends_nothing_logs_it_and_still_succeeds(
    mode: str, store: Store, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    config = DeliveryConfig(mode=mode)
    route = choose(config)
    sender = build_sender(route, config, http)
    mailer = Mailer(route, sender, log_key=store.log_key, send_log=store.send_log)
    with caplog.at_level(logging.INFO, logger="mailyard.email"):
        result = await mailer.send(sample("password-reset"), "jane@example.com")
    assert result.outcome == "skipped" and result.reason == "email_not_configured" and result.ok
    (line,) = [r for r in caplog.records if r.name == "mailyard.email"]
    assert line.levelno == logging.WARNING and "email_not_configured" in line.getMessage()
    assert "jane@example.com" not in line.getMessage()
    (entry,) = store.send_log.entries()
    assert entry.record.outcome == "skipped"
    assert entry.record.reason == "email_not_configured" and entry.record.missing


def test_sandbox_sends_never_show_the_miosa_sender() -> None:
    """MIOSA's default From belongs to its Resend path only (spec); the sandbox is neutral."""
    assert choose(DeliveryConfig()).from_address == "no-reply@mailyard.test"
    assert (
        choose(DeliveryConfig(from_address="App <a@app.example>")).from_address == "a@app.example"
    )


async def test_allowlist_blocks_real_addresses_and_allows_provider_test_addresses(
    store: Store, http: httpx.AsyncClient
) -> None:
    config = DeliveryConfig(
        mode="resend",
        resend_api_key="re_x",
        # Off this machine (an API on loopback is not real: no allowlist); never reached,
        # the allowlist refuses before any request.
        resend_api_url="https://resend.invalid",
        allow_recipients="qa@example.com, *@staging.example.com",
    )
    mailer = build_mailer(config, store, http)
    blocked = await mailer.send(sample("welcome"), "ceo@customer.example")
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


async def test_dry_run_renders_and_logs_but_sends_nothing(
    store: Store, http: httpx.AsyncClient
) -> None:
    config = DeliveryConfig(mode="sandbox", sandbox_port=9, dry_run=True)
    result = await build_mailer(config, store, http).send(sample("welcome"), "jane@example.com")
    assert result.outcome == "dry_run" and result.ok
    assert store.send_log.entries()[0].record.outcome == "dry_run"


async def test_sandbox_delivery_reaches_the_sink_with_the_theme_as_display_name(
    server: Server, store: Store, http: httpx.AsyncClient
) -> None:
    config = DeliveryConfig(
        mode="sandbox", sandbox_port=server.smtp_port, from_address="no-reply@auth.example.com"
    )
    result = await build_mailer(config, store, http).send(
        sample("invitation", {"clientName": "Sandbox Delivery Test"}),
        "sandbox-delivery@example.com",
        theme=Theme(name="Media Conductor"),
        locale="de",
    )
    assert result.outcome == "sent", result
    with server.api() as api:  # type: ignore[attr-defined]
        found = messages(api, "default", query="to:sandbox-delivery@example.com")
    assert found[0]["From"] == {"Name": "Media Conductor", "Address": "no-reply@auth.example.com"}
    assert found[0]["Subject"] == "Sie sind zu Sandbox Delivery Test eingeladen"
    assert result.message_id == found[0]["ID"]


async def test_failed_send_keeps_the_provider_error_code(
    store: Store, http: httpx.AsyncClient
) -> None:
    config = DeliveryConfig(mode="sandbox", sandbox_port=9)  # nothing listens there
    result = await build_mailer(config, store, http).send(sample("welcome"), "jane@example.com")
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


async def test_json_log_format(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    route = choose(DeliveryConfig(mode="ses"))
    mailer = Mailer(route, None, log_key=store.log_key, log_format="json")
    with caplog.at_level(logging.INFO, logger="mailyard.email"):
        await mailer.send(sample("welcome"), "jane@example.com", theme=Theme(name="Acme"))
    record = json.loads(caplog.records[-1].getMessage())
    assert record["email.concept"] == "welcome" and record["theme"] == "Acme"
    assert (
        record["provider"] == "ses"
        and record["outcome"] == "skipped"
        and record["recipient"].startswith("hmac:")
    )


async def test_a_provider_error_that_echoes_the_key_is_redacted(
    store: Store, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 9, break 8: the key came back in the send log, the API and the CLI."""
    key = "re_CANARY_echoed_key_4711"

    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            403, json={"statusCode": 403, "name": "invalid_api_key", "message": f"bad key {key}"}
        )

    config = DeliveryConfig(mode="resend", resend_api_key=key, allow_recipients="jane@example.com")
    async with httpx.AsyncClient(transport=httpx.MockTransport(echo)) as provider:
        with caplog.at_level(logging.INFO, logger="mailyard.email"):
            result = await build_mailer(config, store, provider).send(
                sample("welcome"), "jane@example.com"
            )
    assert result.outcome == "failed" and result.reason == "bad key [redacted]"
    assert key not in caplog.text
    assert key not in json.dumps(store.send_log.entries()[0].as_json())
