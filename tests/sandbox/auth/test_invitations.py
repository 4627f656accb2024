"""Invitations: emailed on creation only; revoke and accept send no invitation; the welcome is
sent once; suppressed and hard-bounced addresses are refused with the reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from support.authrig import PUBLIC, Rig

from mailyard.sandbox.auth.errors import (
    AccountExistsError,
    InvitationStateError,
    SuppressedError,
    TokenError,
)
from mailyard.sandbox.auth.events import (
    InvitationAccepted,
    InvitationCreated,
    InvitationRevoked,
    UserCreated,
)
from mailyard.sandbox.auth.history import DeliveryEvent
from mailyard.sandbox.errors import InvalidInputError

ANN = "ann@example.com"


def kinds(rig: Rig) -> list[str]:
    return [type(e).__name__ for e in rig.events if type(e).__module__.endswith("auth.events")]


def iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


async def test_an_invitation_is_emailed_once_with_its_link(rig: Rig) -> None:
    client = await rig.auth.tenants.create_client({"name": "Media Conductor"})
    invited = await rig.auth.invitations.invite(
        ANN,
        client_id=client.id,
        recipient_name="Ann Example",
        expires_at=iso(rig.clock.now() + 3 * 86400),
    )
    assert invited.email.outcome == "sent" and invited.invitation.status == "pending"
    (email,) = rig.provider.sent
    assert ("concept", "invitation") in email.tags
    assert "Media Conductor" in email.subject + email.text
    assert "The Media Conductor team" in email.text  # the inviter when none is named
    link = rig.provider.action_link(email)
    assert link.url == f"{PUBLIC}/api/auth/accept-invite?token={link.token}"
    assert kinds(rig) == ["InvitationCreated"]


async def test_revoking_sends_nothing_and_the_link_stops_working(rig: Rig) -> None:
    invited = await rig.auth.invitations.invite(ANN)
    token = rig.provider.action_link(rig.provider.sent[0]).token
    revoked = await rig.auth.invitations.revoke(invited.invitation.id)
    assert revoked.status == "revoked"
    assert len(rig.provider.sent) == 1
    with pytest.raises(TokenError) as caught:
        await rig.auth.invitations.accept(token, "a good password")
    assert caught.value.code == "token_revoked"
    with pytest.raises(InvitationStateError):
        await rig.auth.invitations.revoke(invited.invitation.id)
    assert kinds(rig) == ["InvitationCreated", "InvitationRevoked"]


async def test_accepting_welcomes_once_and_never_resends_the_invitation(rig: Rig) -> None:
    invited = await rig.auth.invitations.invite(ANN, recipient_name="Ann")
    token = rig.provider.action_link(rig.provider.sent[0]).token
    rig.auth.invitations.peek(token)  # a scanner's GET
    accepted = await rig.auth.invitations.accept(token, "a good password")
    assert accepted.user.verified and accepted.user.name == "Ann"
    assert accepted.invitation.status == "accepted" and accepted.welcome is not None
    concepts = [dict(e.tags)["concept"] for e in rig.provider.sent]
    assert concepts == ["invitation", "welcome"]
    with pytest.raises(TokenError) as again:
        await rig.auth.invitations.accept(token, "a good password")
    assert again.value.code == "token_used"
    with pytest.raises(InvitationStateError):
        await rig.auth.invitations.revoke(invited.invitation.id)
    assert len(rig.provider.sent) == 2
    created = [e for e in rig.events if isinstance(e, UserCreated)]
    accepted_events = [e for e in rig.events if isinstance(e, InvitationAccepted)]
    assert [e.source for e in created] == ["invitation"]
    assert accepted_events[0].payload()["data"] == {
        "invitationId": invited.invitation.id,
        "userId": accepted.user.id,
        "email": ANN,
        "clientId": None,
    }
    assert (await rig.auth.users.login(ANN, "a good password")).id == accepted.user.id


async def test_a_new_invitation_supersedes_the_pending_one_without_email(rig: Rig) -> None:
    first = await rig.auth.invitations.invite(ANN)
    old_token = rig.provider.action_link(rig.provider.sent[0]).token
    second = await rig.auth.invitations.invite(ANN)
    assert second.superseded == (first.invitation.id,)
    assert len(rig.provider.sent) == 2  # one email per creation, none for the superseded
    with pytest.raises(TokenError):
        rig.auth.invitations.peek(old_token)
    assert kinds(rig) == ["InvitationCreated", "InvitationRevoked", "InvitationCreated"]


async def test_an_invitation_expires_at_expires_at(rig: Rig) -> None:
    await rig.auth.invitations.invite(ANN, expires_at=iso(rig.clock.now() + 7200))
    token = rig.provider.action_link(rig.provider.sent[0]).token
    rig.clock.advance(7200)
    with pytest.raises(TokenError) as caught:
        await rig.auth.invitations.accept(token, "a good password")
    assert caught.value.code == "token_expired"


@pytest.mark.parametrize(
    "value", ["yesterday", "2000-01-01T00:00:00Z", "2999-01-01T00:00:00Z", 12345]
)
async def test_expires_at_must_be_a_date_within_a_year(rig: Rig, value: object) -> None:
    with pytest.raises(InvalidInputError) as caught:
        await rig.auth.invitations.invite(ANN, expires_at=value)
    assert caught.value.field == "expiresAt"
    assert rig.provider.sent == []


async def test_a_suppressed_address_is_refused_with_the_reason_unless_overridden(
    rig: Rig,
) -> None:
    rig.history.suppress(ANN, "BOUNCE")
    with pytest.raises(SuppressedError) as caught:
        await rig.auth.invitations.invite(ANN.upper())
    assert caught.value.reason == "BOUNCE" and "suppression list (BOUNCE)" in str(caught.value)
    assert '"override": true' in str(caught.value)
    assert rig.provider.sent == []
    invited = await rig.auth.invitations.invite(ANN, override=True)
    assert invited.standing.suppressed == "BOUNCE"
    assert len(rig.provider.sent) == 1


async def test_a_hard_bounce_is_refused_a_soft_one_is_not(rig: Rig) -> None:
    rig.history.record(ANN, DeliveryEvent("Bounce", rig.clock.now(), "m1", False, "MailboxFull"))
    await rig.auth.invitations.invite(ANN)
    rig.history.record(ANN, DeliveryEvent("Bounce", rig.clock.now(), "m2", True, "NoEmail"))
    with pytest.raises(SuppressedError) as caught:
        await rig.auth.invitations.invite(ANN)
    assert "hard-bounced (NoEmail)" in str(caught.value)
    standing = rig.auth.standing(ANN)
    assert [b.message_id for b in standing.bounces] == ["m2", "m1"]


async def test_members_are_not_invited(open_rig: Rig) -> None:
    await open_rig.auth.users.signup(ANN, "a good password")
    with pytest.raises(AccountExistsError):
        await open_rig.auth.invitations.invite(ANN)


async def test_accept_refuses_when_the_address_signed_up_meanwhile(open_rig: Rig) -> None:
    await open_rig.auth.invitations.invite(ANN)
    token = open_rig.provider.action_link(open_rig.provider.sent[0]).token
    await open_rig.auth.users.signup(ANN, "a good password")
    with pytest.raises(AccountExistsError):
        await open_rig.auth.invitations.accept(token, "another password")
    assert open_rig.auth.invitations.peek(token).status == "pending"  # rolled back whole


def test_event_payloads_use_the_specs_names() -> None:
    event = InvitationCreated(0.0, "i1", ANN, "c1", 86400.0)
    assert event.payload() == {
        "type": "invitation.created",
        "createdAt": "1970-01-01T00:00:00Z",
        "data": {
            "invitationId": "i1",
            "email": ANN,
            "clientId": "c1",
            "expiresAt": "1970-01-02T00:00:00Z",
        },
    }
    assert InvitationRevoked.type == "invitation.revoked"
