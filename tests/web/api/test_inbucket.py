"""Inbucket's REST API over mailyard's store, in Inbucket's shapes, as Supabase-era helpers
read it."""

from __future__ import annotations

import re

import httpx
import pytest
from support.mail import Server, make_message, send

from mailyard.web.api.inbucket import BadName, mailbox_name


@pytest.mark.parametrize(
    ("address", "name"),
    [
        ("Jane.Doe+promo@Example.COM", "jane.doe"),
        ("<bob@example.com>", "bob"),
        ("@relay.example:carl@example.com", "carl"),
        ("jane", "jane"),
    ],
)
def test_mailbox_names(address: str, name: str) -> None:
    assert mailbox_name(address) == name


def test_a_bad_name_is_refused() -> None:
    with pytest.raises(BadName, match="invalid character"):
        mailbox_name("jäne@example.com")


def test_a_mailbox_oldest_first_and_a_message_in_detail(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    local = f"in-{mailbox}"
    invite = "https://app.example/invite?token=abc"
    send(server, make_message(subject="first", to=f"{local}+x@example.com"), mailbox)
    send(
        server,
        make_message(
            subject="Reset Your Password",
            to=f"Jane <{local.upper()}@example.com>",
            text="",
            html=f"<p><a href='{invite}'>View Invitation</a></p>",
        ),
        mailbox,
    )
    listed = api.get(f"/api/v1/mailbox/{local}")
    assert listed.headers["content-type"] == "application/json; charset=utf-8"
    items = listed.json()
    assert [m["subject"] for m in items] == ["first", "Reset Your Password"]
    newest = items[-1]
    assert newest["mailbox"] == local and newest["from"] == "App <app@example.com>"
    assert newest["to"] == [f"Jane <{local.upper()}@example.com>"]
    assert newest["seen"] is False and newest["posix-millis"] > 0
    detail = api.get(f"/api/v1/mailbox/{local}/{newest['id']}").json()
    found = re.search(r"View Invitation \( (.+) \)", detail["body"]["text"])
    assert found and found.group(1) == invite
    assert re.search(r'href=.([^"\']*invite[^"\']*)', detail["body"]["html"])
    assert detail["header"]["Subject"] == ["Reset Your Password"]
    assert api.get(f"/api/v1/mailbox/{local}/latest").json()["id"] == newest["id"]
    source = api.get(f"/api/v1/mailbox/{local}/{newest['id']}/source")
    assert source.content.startswith(b"From: App") and b"Reset Your Password" in source.content


def test_seen_delete_and_purge(server: Server, api: httpx.Client, mailbox: str) -> None:
    local = f"del-{mailbox}"
    for subject in ("a", "b", "c"):
        send(server, make_message(subject=subject, to=f"{local}@example.com"), mailbox)
    first, second, _ = [m["id"] for m in api.get(f"/api/v1/mailbox/{local}").json()]
    assert api.patch(f"/api/v1/mailbox/{local}/{first}", json={"seen": True}).json() == "OK"
    assert api.get(f"/api/v1/mailbox/{local}").json()[0]["seen"] is True
    assert api.delete(f"/api/v1/mailbox/{local}/{second}").json() == "OK"
    missing = api.delete(f"/api/v1/mailbox/{local}/{second}")
    assert missing.status_code == 404 and missing.text == "404 page not found\n"
    assert api.get(f"/api/v1/mailbox/other-{local}/{first}").status_code == 404
    assert api.delete(f"/api/v1/mailbox/{local}").json() == "OK"
    assert api.get(f"/api/v1/mailbox/{local}").json() == []
