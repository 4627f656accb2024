"""Mailpit's HTTP send API: a message built from JSON, stored like SMTP mail."""

from __future__ import annotations

import base64

import httpx
import pytest
from support.mail import Server, messages

PIXEL = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 32).decode()


def test_send_builds_and_stores_the_message(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    response = api.post(
        "/api/v1/send",
        params={"mailbox": mailbox},
        json={
            "From": {"Email": "john@example.com", "Name": "John Doe"},
            "To": [{"Email": "jane@example.com", "Name": "Jane Doe"}],
            "Cc": [{"Email": "manager@example.com"}],
            "Bcc": ["jack@example.com"],
            "ReplyTo": [{"Email": "secretary@example.com"}],
            "Subject": "Grüße via the HTTP API",
            "Text": "Mailpit is awesome!",
            "HTML": '<p>Mailpit is <b>awesome</b>!</p><p><img src="cid:logo" alt="logo"></p>',
            "Headers": {"X-IP": "1.2.3.4"},
            "Tags": ["Tag 1", "Tag 2"],
            "Attachments": [
                {"Content": PIXEL, "Filename": "logo.png", "ContentID": "logo"},
                {"Content": base64.b64encode(b"%PDF-1.4").decode(), "Filename": "invoice.pdf"},
            ],
        },
    )
    assert response.status_code == 200, response.text
    message_id = response.json()["ID"]
    (found,) = messages(api, mailbox)
    assert found["ID"] == message_id and found["Subject"] == "Grüße via the HTTP API"
    assert found["From"] == {"Name": "John Doe", "Address": "john@example.com"}
    assert [a["Address"] for a in found["Bcc"]] == ["jack@example.com"]  # from the envelope only
    assert found["Tags"] == ["Tag 1", "Tag 2"]
    full = api.get(f"/api/v1/message/{message_id}").json()
    assert full["Text"].strip() == "Mailpit is awesome!" and "<b>awesome</b>" in full["HTML"]
    assert [a["FileName"] for a in full["Attachments"]] == ["invoice.pdf"]
    assert [p["ContentID"] for p in full["Inline"]] == ["logo"]
    assert full["Envelope"]["Source"] == "api"
    assert api.get(f"/api/v1/message/{message_id}/headers").json()["X-Ip"] == ["1.2.3.4"]
    assert full["Date"].endswith("Z")  # our Date header says -0000: UTC, as Mailpit writes it
    view = api.get(f"/view/{message_id}.html").text
    inline = full["Inline"][0]["PartID"]
    assert f'src="/view/{message_id}/part/{inline}"' in view  # cid: rewritten for the inbox
    assert b"Bcc" not in api.get(f"/api/v1/message/{message_id}/raw").content


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"To": [{"Email": "a@example.com"}]}, "From.Email"),
        ({"From": {"Email": "a@example.com"}}, "To"),
        ({"From": {"Email": "not an address"}, "To": [{"Email": "b@example.com"}]}, "From.Email"),
        ({"From": {"Email": "a@example.com"}, "To": [{"Name": "x"}]}, "To.Email"),
        (
            {
                "From": {"Email": "a@example.com"},
                "To": [{"Email": "b@example.com"}],
                "Subject": "hi\r\nBcc: victim@example.com",
            },
            "Subject",
        ),
        (
            {
                "From": {"Email": "a@example.com"},
                "To": [{"Email": "b@example.com"}],
                "Headers": {"X-Evil": "a\nb"},
            },
            "Headers.X-Evil",
        ),
        (
            {
                "From": {"Email": "a@example.com"},
                "To": [{"Email": "b@example.com"}],
                "Attachments": [{"Content": "%%%", "Filename": "x"}],
            },
            "Attachments[0].Content",
        ),
        (
            {"From": {"Email": "a@example.com"}, "To": [{"Email": "b@example.com"}], "Tags": "x"},
            "Tags",
        ),
    ],
)
def test_bad_send_bodies_name_the_field(
    api: httpx.Client, body: dict[str, object], field: str
) -> None:
    """Mailpit's send API answers `{"Error": ...}`; ours also says which field (`Field`)."""
    response = api.post("/api/v1/send", json=body)
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["Field"] == field and error["Error"]


def test_attachments_may_be_data_uris(server: Server, api: httpx.Client, mailbox: str) -> None:
    """mailpit-api's documented form: `data:image/png;base64,...` (Mailpit decodes what
    follows the last comma)."""
    response = api.post(
        "/api/v1/send",
        params={"mailbox": mailbox},
        json={
            "From": {"Email": "a@example.com"},
            "To": [{"Email": "b@example.com"}],
            "Subject": "data uri",
            "HTML": "<p>only html</p>",
            "Attachments": [{"Content": f"data:image/png;base64,{PIXEL}", "Filename": "p.png"}],
        },
    )
    assert response.status_code == 200, response.text
    message_id = response.json()["ID"]
    full = api.get(f"/api/v1/message/{message_id}").json()
    (attachment,) = full["Attachments"]
    part = api.get(f"/api/v1/message/{message_id}/part/{attachment['PartID']}")
    assert part.content == base64.b64decode(PIXEL)
    assert full["Text"].strip() == "only html"  # an HTML-only send reads as text too
