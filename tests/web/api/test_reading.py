"""A big message is read on a worker thread, and every route gives what it gives for a small one
(issue 9: no message may hold the event loop)."""

from __future__ import annotations

import threading
from email.message import EmailMessage

import httpx
import pytest
from starlette.responses import JSONResponse
from support.mail import Server, send_raw

from mailyard.web.api.reading import LONG_STRING, OFF_LOOP, BodiesJSONResponse, off_loop


async def test_small_work_runs_here_and_big_work_on_a_worker_thread() -> None:
    here = threading.get_ident()
    assert await off_loop(OFF_LOOP, threading.get_ident) == here
    assert await off_loop(OFF_LOOP + 1, threading.get_ident) != here


def _message(subject: str, attachment: bytes) -> bytes:
    msg = EmailMessage()
    msg["From"] = "app@example.com"
    msg["To"] = "jane@example.com"
    msg["Subject"] = subject
    msg.set_content("Your code is 482913.\nConfirm: https://example.com/confirm?token=abc\n")
    msg.add_alternative(
        "<p>Your code is <b>482913</b>. <a href='https://example.com/confirm?token=abc'>"
        "Confirm</a> <img src='cid:logo'></p>",
        subtype="html",
    )
    html = msg.get_body(("html",))
    assert isinstance(html, EmailMessage)
    html.add_related(b"\x89PNG\r\n\x1a\n", "image", "png", cid="<logo>")
    msg.add_attachment(attachment, "application", "octet-stream", filename="data.bin")
    return msg.as_bytes()


def _read(api: httpx.Client, message_id: str) -> dict[str, object]:
    full = api.get(f"/api/v1/message/{message_id}").json()
    attachment = full["Attachments"][0]["PartID"]
    inline = full["Inline"][0]["PartID"]
    return {
        "text": full["Text"],
        "parts": [(p["FileName"], p["Size"]) for p in full["Attachments"] + full["Inline"]],
        "links": api.get(f"/api/v1/message/{message_id}/links").json()["links"],
        "codes": api.get(f"/api/v1/message/{message_id}/codes").json()["codes"],
        "headers": api.get(f"/api/v1/message/{message_id}/headers").json()["Subject"],
        "html": api.get(f"/view/{message_id}.html").text,
        "txt": api.get(f"/view/{message_id}.txt").text,
        "part": len(api.get(f"/api/v1/message/{message_id}/part/{attachment}").content),
        "inline": api.get(f"/view/{message_id}/part/{inline}").content,
    }


@pytest.mark.parametrize("size", [100, 4 * OFF_LOOP])
def test_a_message_reads_the_same_on_the_loop_and_off_it(
    server: Server, api: httpx.Client, mailbox: str, size: int
) -> None:
    subject = f"sized {size}"
    send_raw(server, _message(subject, b"\x00" * size), ["jane@example.com"], mailbox)
    found = api.get("/api/v1/search", params={"query": f'subject:"{subject}"'}).json()
    (summary,) = found["messages"]
    assert (summary["Size"] > OFF_LOOP) == (size > OFF_LOOP)
    read = _read(api, summary["ID"])
    assert read["part"] == size
    assert read["parts"] == [("data.bin", size), ("logo", 8)]
    assert read["headers"] == [subject]
    assert read["inline"] == b"\x89PNG\r\n\x1a\n"
    assert "Your code is 482913." in str(read["text"]) and read["txt"] == read["text"]
    assert [code["code"] for code in read["codes"]][:1] == ["482913"]  # type: ignore[attr-defined]
    assert [link["url"] for link in read["links"]] == [  # type: ignore[attr-defined]
        "https://example.com/confirm?token=abc"
    ]
    assert f"/view/{summary['ID']}/part/" in str(read["html"])


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"ID": "a", "Size": 3, "Tags": ["x"], "Read": False, "Date": None},
        {
            "HTML": "😀" + '<p class="x">"quoted" \\ back\tslash\x00 é</p>\r\n' * 20_000,
            "Text": "a" * (3 * LONG_STRING) + "\u2028",
            "Attachments": [{"FileName": "é.pdf"}],
        },
    ],
)
def test_long_bodies_encode_as_one_json_call_would(body: dict[str, object]) -> None:
    assert BodiesJSONResponse(body).body == JSONResponse(body).body
