"""What the simulator makes of mail sent through the emulated APIs: the providers' test
addresses produce their events carrying the provider's message id, `last_event` follows them,
and Resend's `scheduled_at` is honoured on the simulator's clock (`--clock-control`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.emulate import idle, mailbox_of
from support.servers import start_inprocess

from mailyard.web.testing.inprocess import InProcessServer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    srv = start_inprocess(tmp_path_factory.mktemp("clocked"), "--clock-control")
    yield srv
    srv.stop()


def events_of(api: httpx.Client, server: InProcessServer, message_id: str) -> dict[str, Any]:
    idle(server)
    record = server.services.store.messages  # type: ignore[union-attr]
    found = server.services.emulators.repo.message_for(message_id)  # type: ignore[union-attr]
    assert found is not None, message_id
    _, mailyard_id = found
    assert record.get(mailyard_id).envelope.provider_id == message_id
    return api.get(f"/api/v1/message/{mailyard_id}/events").json()


def advance(api: httpx.Client, seconds: float) -> None:
    assert api.post("/api/v1/clock/advance", json={"seconds": seconds}).status_code == 200


def test_ses_simulator_bounce_by_api_carries_the_ses_message_id(
    sesv2: Any, api: httpx.Client, server: InProcessServer
) -> None:
    sesv2.create_configuration_set(ConfigurationSetName="cs")
    sent = sesv2.send_email(
        FromEmailAddress="a@example.com",
        Destination={"ToAddresses": ["bounce+api@simulator.amazonses.com"]},
        Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}}},
        ConfigurationSetName="cs",
        EmailTags=[{"Name": "flow", "Value": "signup"}],
    )
    found = events_of(api, server, sent["MessageId"])
    kinds = [e["payload"]["eventType"] for e in found["events"]]
    assert kinds == ["Send", "Bounce"]
    bounce = found["events"][1]
    assert bounce["providerMessageId"] == sent["MessageId"]
    assert bounce["payload"]["mail"]["messageId"] == sent["MessageId"]
    assert bounce["payload"]["mail"]["tags"]["flow"] == ["signup"]
    assert bounce["payload"]["mail"]["tags"]["ses:configuration-set"] == ["cs"]
    assert bounce["payload"]["bounce"]["bounceType"] == "Permanent"


def test_resend_test_addresses_and_last_event(
    resend_sdk: Any, api: httpx.Client, server: InProcessServer
) -> None:
    sent = resend_sdk.Emails.send(
        {"from": "a@example.com", "to": "bounced@resend.dev", "subject": "s", "text": "t"}
    )
    found = events_of(api, server, sent["id"])
    assert [e["payload"]["type"] for e in found["events"]] == ["email.sent", "email.bounced"]
    assert all(e["payload"]["data"]["email_id"] == sent["id"] for e in found["events"])
    assert resend_sdk.Emails.get(sent["id"])["last_event"] == "bounced"


def test_scheduled_send_waits_for_the_clock(
    resend_sdk: Any, api: httpx.Client, server: InProcessServer, resend_key: str
) -> None:
    mailbox = mailbox_of(server, resend_key)
    store = server.services.store  # type: ignore[union-attr]
    soon = datetime.fromtimestamp(server.services.clock.now() + 3600, UTC)  # type: ignore[union-attr]
    sent = resend_sdk.Emails.send(
        {
            "from": "a@example.com",
            "to": "delivered@resend.dev",
            "subject": "later",
            "text": "t",
            "scheduled_at": soon.isoformat().replace("+00:00", "Z"),
        }
    )
    got = resend_sdk.Emails.get(sent["id"])
    assert got["last_event"] == "scheduled"
    # When it goes, written as Resend writes its times (`created_at`), not echoed as sent.
    assert got["scheduled_at"].startswith(soon.strftime("%Y-%m-%d %H:%M:%S."))
    assert got["scheduled_at"].endswith("+00")
    assert store.messages.totals(mailbox)[0] == 0  # not in the inbox before its time
    later = resend_sdk.Emails.update({"id": sent["id"], "scheduled_at": "in 2 hours"})
    assert later["id"] == sent["id"]
    moved = datetime.fromtimestamp(server.services.clock.now() + 7200, UTC)  # type: ignore[union-attr]
    assert resend_sdk.Emails.get(sent["id"])["scheduled_at"].startswith(
        moved.strftime("%Y-%m-%d %H:%M")
    )
    advance(api, 3700)
    server.call(server.services.emulators.scheduler.idle)  # type: ignore[union-attr]
    assert store.messages.totals(mailbox)[0] == 0  # moved to two hours
    advance(api, 3700)
    server.call(server.services.emulators.scheduler.idle)  # type: ignore[union-attr]
    assert store.messages.totals(mailbox)[0] == 1
    idle(server)
    assert resend_sdk.Emails.get(sent["id"])["last_event"] == "delivered"
    with pytest.raises(resend_sdk.exceptions.ValidationError):
        resend_sdk.Emails.cancel(sent["id"])


def test_a_canceled_send_never_arrives(
    resend_sdk: Any, api: httpx.Client, server: InProcessServer, resend_key: str
) -> None:
    mailbox = mailbox_of(server, resend_key)
    sent = resend_sdk.Emails.send(
        {
            "from": "a@example.com",
            "to": "b@example.com",
            "subject": "s",
            "text": "t",
            "scheduled_at": "in 5 min",
        }
    )
    assert resend_sdk.Emails.cancel(sent["id"])["id"] == sent["id"]
    advance(api, 600)
    server.call(server.services.emulators.scheduler.idle)  # type: ignore[union-attr]
    assert server.services.store.messages.totals(mailbox)[0] == 0  # type: ignore[union-attr]
    assert resend_sdk.Emails.get(sent["id"])["last_event"] == "canceled"


def test_a_scheduled_send_survives_a_restart(tmp_path: Path) -> None:
    first = start_inprocess(tmp_path, "--clock-control")
    try:
        with first.api() as api:
            sent = api.post(
                "/emails",
                json={
                    "from": "a@example.com",
                    "to": "b@example.com",
                    "subject": "s",
                    "text": "t",
                    "scheduled_at": "in 1 hour",
                },
                headers={"Authorization": "Bearer re_restart"},
            ).json()
    finally:
        first.stop()
    second = start_inprocess(tmp_path, "--clock-control")
    try:
        with second.api() as api:
            assert (
                api.get(
                    f"/emails/{sent['id']}", headers={"Authorization": "Bearer re_restart"}
                ).json()["last_event"]
                == "scheduled"
            )
            advance(api, 3601)
            second.call(second.services.emulators.scheduler.idle)  # type: ignore[union-attr]
            mailbox = mailbox_of(second, "re_restart")
            assert second.services.store.messages.totals(mailbox)[0] == 1  # type: ignore[union-attr]
    finally:
        second.stop()
