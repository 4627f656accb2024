"""Tenants: client theme -> service default -> built-in, field by field, read at every send."""

from __future__ import annotations

import pytest
from support.authrig import Rig

from mailyard.renderer import BUILTIN_THEME
from mailyard.sandbox.errors import InvalidInputError, NotFoundError


def sender_name(rig: Rig) -> str:
    return rig.provider.sent[-1].from_name


async def test_resolution_is_field_by_field(rig: Rig) -> None:
    tenants = rig.auth.tenants
    default = await tenants.create_theme(
        {"name": "Blu", "footerText": "Blu Inc.", "isDefault": True}
    )
    bound = await tenants.create_theme({"name": "Media Conductor", "primaryColor": "#ff0066"})
    client = await tenants.create_client({"name": "MC", "themeId": bound.id})
    theme = tenants.theme_for(client.id)
    assert (theme.name, theme.primary_color) == ("Media Conductor", "#ff0066")
    assert theme.footer_text == "Blu Inc."  # from the service default
    assert theme.font_family_preset == BUILTIN_THEME.font_family_preset  # built in
    unbound = tenants.theme_for(None)
    assert (unbound.name, unbound.primary_color) == ("Blu", BUILTIN_THEME.primary_color)
    assert default.is_default


async def test_a_theme_change_shows_on_the_next_send(rig: Rig) -> None:
    theme = await rig.auth.tenants.create_theme({"name": "Before"})
    client = await rig.auth.tenants.create_client({"name": "App", "themeId": theme.id})
    await rig.auth.invitations.invite("a@example.com", client_id=client.id)
    assert sender_name(rig) == "Before"
    await rig.auth.tenants.update_theme(theme.id, {"name": "After", "primaryColor": "#123456"})
    await rig.auth.invitations.invite("b@example.com", client_id=client.id)
    assert sender_name(rig) == "After"
    assert "#123456" in rig.provider.sent[-1].html


async def test_one_default_at_a_time_and_deleting_a_theme_unbinds_its_clients(rig: Rig) -> None:
    tenants = rig.auth.tenants
    first = await tenants.create_theme({"name": "One", "isDefault": True})
    second = await tenants.create_theme({"name": "Two", "isDefault": True})
    assert tenants.store.default_theme().id == second.id  # type: ignore[union-attr]
    assert not tenants.theme(first.id).is_default
    client = await tenants.create_client({"name": "App", "themeId": first.id})
    await tenants.delete_theme(first.id)
    assert tenants.client(client.id).theme_id is None
    assert tenants.theme_for(client.id).name == "Two"
    with pytest.raises(NotFoundError):
        await tenants.delete_theme(first.id)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "X", "primaryColor": "red-ish"}, "primaryColor"),
        ({"name": "X", "logoUrl": "http://insecure.example/logo.png"}, "logoUrl"),
        ({"name": "X", "colour": "#fff"}, "colour"),
        ({"primaryColor": "#ffffff"}, "name"),
        ({"name": "X", "isDefault": "yes"}, "isDefault"),
        ({"name": "X", "id": "../etc"}, "id"),
    ],
)
async def test_theme_input_errors_name_the_field(
    rig: Rig, data: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        await rig.auth.tenants.create_theme(data)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "App", "themeId": "missing"}, "themeId"),
        ({"name": "App", "signInUrl": "javascript:alert(1)"}, "signInUrl"),
        ({"name": "App", "selfSignup": 1}, "selfSignup"),
    ],
)
async def test_client_input_errors_name_the_field(
    rig: Rig, data: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        await rig.auth.tenants.create_client(data)
    assert caught.value.field == field


async def test_a_clients_sign_in_url_is_the_welcomes_link(open_rig: Rig) -> None:
    client = await open_rig.auth.tenants.create_client(
        {"name": "App", "signInUrl": "https://app.example.test/login"}
    )
    await open_rig.auth.users.signup("c@example.com", "a good password", client_id=client.id)
    assert "https://app.example.test/login" in open_rig.provider.sent[-1].text
