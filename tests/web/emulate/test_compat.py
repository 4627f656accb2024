"""LocalStack's `/_aws/ses` and aws-ses-v2-local's `/store` over mailyard's store, in the shapes
those tools answer (notes/other-sandboxes.md §3-4)."""

from __future__ import annotations

import re
from typing import Any

import httpx


def _send(ses: Any, sesv2: Any) -> tuple[str, str, str]:
    simple = ses.send_email(
        Source="app@example.com",
        Destination={"ToAddresses": ["jane@example.com"]},
        Message={"Subject": {"Data": "Your code is 493021"}, "Body": {"Text": {"Data": "493021"}}},
    )["MessageId"]
    raw = ses.send_raw_email(
        RawMessage={"Data": b"From: app@example.com\r\nTo: joe@example.com\r\nSubject: r\r\n\r\nhi"}
    )["MessageId"]
    v2 = sesv2.send_email(
        FromEmailAddress="app@example.com",
        Destination={"ToAddresses": ["ann@example.com"], "CcAddresses": ["cc@example.com"]},
        Content={
            "Simple": {
                "Subject": {"Data": "v2"},
                "Body": {"Html": {"Data": "<p>hello</p>"}},
                "Attachments": [{"FileName": "a.txt", "RawContent": b"abc"}],
            }
        },
    )["MessageId"]
    return simple, raw, v2


def test_localstack_retrospection(api: httpx.Client, ses: Any, sesv2: Any) -> None:
    simple, raw, _ = _send(ses, sesv2)
    messages = api.get("/_aws/ses").json()["messages"]
    by_id = {m["Id"]: m for m in messages}
    assert by_id[simple] == {
        "Id": simple,
        "Region": "us-east-1",
        "Destination": {"ToAddresses": ["jane@example.com"]},
        "Source": "app@example.com",
        "Subject": "Your code is 493021",
        "Body": {"text_part": "493021", "html_part": None},
        "Timestamp": by_id[simple]["Timestamp"],
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", by_id[simple]["Timestamp"])
    assert by_id[raw]["RawData"].startswith("From: app@example.com")
    assert [m["Id"] for m in api.get("/_aws/ses", params={"id": raw}).json()["messages"]] == [raw]
    assert api.delete("/_aws/ses", params={"id": raw}).status_code == 204
    assert api.get("/_aws/ses", params={"id": raw}).json() == {"messages": []}


def test_aws_ses_v2_local_store(api: httpx.Client, ses: Any, sesv2: Any) -> None:
    sesv2.create_email_template(TemplateName="welcome-compat", TemplateContent={"Subject": "Hi"})
    _, _, v2 = _send(ses, sesv2)
    store = api.get("/store").json()
    assert store["templates"]["welcome-compat"]["TemplateContent"] == {"Subject": "Hi"}
    email = next(e for e in store["emails"] if e["messageId"] == v2)
    assert email["destination"] == {"to": ["ann@example.com"], "cc": ["cc@example.com"], "bcc": []}
    assert email["from"] == "app@example.com"
    assert email["body"] == {"html": "<p>hello</p>"}
    assert email["attachments"][0]["content"] == "YWJj" and email["attachments"][0]["size"] == 3
    assert isinstance(email["at"], int)
    assert api.get("/store", params={"since": str(email["at"] + 3600)}).json()["emails"] == []
    assert api.get("/store", params={"since": "soon"}).status_code == 400
    eml = api.get("/get-emlContent", params={"messageId": v2}).json()
    assert eml["messageId"] == v2 and eml["body"]["type"] == "Buffer"
    assert bytes(eml["body"]["data"]).startswith(b"From: app@example.com")
    missing = api.get("/get-emlContent", params={"messageId": "nope"})
    assert missing.status_code == 400 and missing.json() == {
        "message": "Email not found within the store"
    }
    cleared = api.post("/clear-store")
    assert cleared.json() == {"message": "Store cleared"}
    assert api.get("/store").json() == {"templates": {}, "emails": []}
