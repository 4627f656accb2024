"""The JSON API against a real server: Mailpit's shapes, our extensions, and errors that name the field."""

from __future__ import annotations

import threading
import time
from email.message import EmailMessage

import httpx
import pytest
from support.mail import Server, make_message, messages, send


def _with_attachment(subject: str) -> EmailMessage:
    msg = make_message(subject=subject, html="<p>Hi <img src='cid:logo' alt='logo'></p>")
    msg.add_attachment(
        b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="invoice.pdf"
    )
    return msg


def test_list_has_mailpit_shape_and_counts(server: Server, api: httpx.Client, mailbox: str) -> None:
    for i in range(3):
        send(
            server,
            make_message(subject=f"n{i}", to="Bob <bob@example.com>", Cc="c@example.com"),
            mailbox,
        )
    body = api.get("/api/v1/messages", params={"mailbox": mailbox, "limit": 2}).json()
    assert {
        "total",
        "unread",
        "messages_count",
        "messages_unread",
        "start",
        "tags",
        "messages",
    } <= body.keys()
    assert body["total"] == 3 and body["unread"] == 3 and body["messages_count"] == 3
    assert [m["Subject"] for m in body["messages"]] == ["n2", "n1"]  # newest first, limited
    first = body["messages"][0]
    assert first["To"] == [{"Name": "Bob", "Address": "bob@example.com"}]
    assert first["Cc"] == [{"Name": "", "Address": "c@example.com"}]
    assert first["From"] == {"Name": "App", "Address": "app@example.com"}
    assert set(first) >= {
        "ID",
        "MessageID",
        "Read",
        "From",
        "To",
        "Cc",
        "Bcc",
        "ReplyTo",
        "Subject",
        "Created",
        "Username",
        "Tags",
        "Size",
        "Attachments",
        "Snippet",
    }
    page2 = api.get("/api/v1/messages", params={"mailbox": mailbox, "start": 2}).json()
    assert [m["Subject"] for m in page2["messages"]] == ["n0"]


def test_message_detail_headers_parts_and_views(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    send(server, _with_attachment("with attachment"), mailbox)
    (summary,) = messages(api, mailbox)
    assert summary["Attachments"] == 1
    message_id = summary["ID"]
    full = api.get(f"/api/v1/message/{message_id}").json()
    assert full["Subject"] == "with attachment" and "Hello there" in full["Text"]
    assert "<img" in full["HTML"]
    (attachment,) = full["Attachments"]
    assert (
        attachment["FileName"] == "invoice.pdf" and attachment["ContentType"] == "application/pdf"
    )
    part = api.get(f"/api/v1/message/{message_id}/part/{attachment['PartID']}")
    assert part.content == b"%PDF-1.4 fake"
    assert part.headers["content-disposition"].startswith("attachment;")
    assert part.headers["x-content-type-options"] == "nosniff"
    headers = api.get(f"/api/v1/message/{message_id}/headers").json()
    assert headers["Subject"] == ["with attachment"] and list(headers) == sorted(
        headers, key=str.lower
    )
    html = api.get(f"/view/{message_id}.html")
    assert "sandbox" in html.headers["content-security-policy"] and "<img" in html.text
    assert "Hello there" in api.get(f"/view/{message_id}.txt").text
    latest = api.get("/api/v1/message/latest", params={"mailbox": mailbox}).json()
    assert latest["ID"] == message_id
    # Opening a message marks it read, as in Mailpit.
    assert messages(api, mailbox)[0]["Read"] is True


def test_read_status_delete_and_delete_by_search(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    for subject in ("keep me", "drop me", "drop me too"):
        send(server, make_message(subject=subject), mailbox)
    assert (
        api.put("/api/v1/messages", params={"mailbox": mailbox}, json={"Read": True}).text == "ok"
    )
    assert api.get("/api/v1/messages", params={"mailbox": mailbox}).json()["unread"] == 0
    assert (
        api.put(
            "/api/v1/messages",
            params={"mailbox": mailbox},
            json={"Read": False, "Search": "subject:keep"},
        ).status_code
        == 200
    )
    assert [m["Subject"] for m in messages(api, mailbox, "is:unread")] == ["keep me"]
    assert (
        api.request("DELETE", "/api/v1/search", params={"mailbox": mailbox, "query": "drop"}).text
        == "ok"
    )
    remaining = messages(api, mailbox)
    assert [m["Subject"] for m in remaining] == ["keep me"]
    api.request("DELETE", "/api/v1/messages", json={"IDs": [remaining[0]["ID"]]})
    assert messages(api, mailbox) == []


def test_delete_without_ids_empties_only_the_given_mailbox(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    send(server, make_message(subject="mine"), mailbox)
    send(server, make_message(subject="theirs"), mailbox + "-other")
    api.request("DELETE", "/api/v1/messages", params={"mailbox": mailbox})
    assert messages(api, mailbox) == []
    assert len(messages(api, mailbox + "-other")) == 1


def test_tags_from_header_plus_address_and_the_tag_api(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    send(
        server,
        make_message(subject="tagged", to="jane+signup@example.com", X_Tags="alpha, Beta"),
        mailbox,
    )
    (found,) = messages(api, mailbox)
    assert found["Tags"] == ["alpha", "Beta", "signup"]
    assert [m["Subject"] for m in messages(api, mailbox, "tag:beta")] == ["tagged"]
    api.put("/api/v1/tags", json={"IDs": [found["ID"]], "Tags": ["one", "two"]})
    assert messages(api, mailbox)[0]["Tags"] == ["one", "two"]
    api.put("/api/v1/tags/one", json={"Name": "uno"})
    assert api.get("/api/v1/tags", params={"mailbox": mailbox}).json() == ["two", "uno"]
    api.delete("/api/v1/tags/two")
    assert messages(api, mailbox)[0]["Tags"] == ["uno"]


def test_links_and_codes_for_an_auth_email(server: Server, api: httpx.Client, mailbox: str) -> None:
    reset = "https://auth.example.com/reset-password-token?token=opaque-123&lang=de"
    send(
        server,
        make_message(
            subject="Your sign-in code is 493021",
            text=f"Reset here: {reset}\nOr type the code 493021. Order 2026 is unrelated.",
            html=f'<p><a href="{reset}">Reset your password</a></p>',
        ),
        mailbox,
    )
    (found,) = messages(api, mailbox)
    links = api.get(f"/api/v1/message/{found['ID']}/links").json()["links"]
    first = links[0]
    assert first["url"] == reset and first["text"] == "Reset your password"
    assert first["tokens"] == {"token": "opaque-123"} and first["query"]["lang"] == ["de"]
    codes = api.get(f"/api/v1/message/{found['ID']}/codes").json()["codes"]
    assert codes[0]["code"] == "493021"
    assert "2026" not in [c["code"] for c in codes]


def test_wait_returns_a_message_sent_after_the_cursor(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    send(server, make_message(subject="old news", to="w@example.com"), mailbox)
    cursor = api.get("/api/v1/messages/cursor").json()["cursor"]
    timer = threading.Timer(
        0.3, send, args=(server, make_message(subject="fresh", to="w@example.com"), mailbox)
    )
    timer.start()
    started = time.monotonic()
    response = api.get(
        "/api/v1/messages/wait",
        params={"mailbox": mailbox, "query": "to:w@example.com", "after": cursor, "timeout": 10},
    )
    timer.join()
    assert response.status_code == 200, response.text
    assert response.json()["Subject"] == "fresh"
    assert time.monotonic() - started < 9
    # The returned cursor moves past it: waiting again after it times out rather than repeating.
    again = api.get(
        "/api/v1/messages/wait",
        params={"mailbox": mailbox, "after": response.json()["cursor"], "timeout": 0.2},
    )
    assert again.status_code == 408 and again.json()["error"]["code"] == "timeout"


def test_wait_without_cursor_returns_an_existing_match_at_once(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    send(server, make_message(subject="already here"), mailbox)
    response = api.get(
        "/api/v1/messages/wait", params={"mailbox": mailbox, "query": "already", "timeout": 5}
    )
    assert response.status_code == 200 and response.json()["Subject"] == "already here"


def test_wait_accepts_a_message_id_as_cursor(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    send(server, make_message(subject="first"), mailbox)
    first = messages(api, mailbox)[0]["ID"]
    send(server, make_message(subject="second"), mailbox)
    response = api.get(
        "/api/v1/messages/wait", params={"mailbox": mailbox, "after": first, "timeout": 1}
    )
    assert response.json()["Subject"] == "second"


@pytest.mark.parametrize(
    ("path", "params", "status", "field"),
    [
        ("/api/v1/messages/wait", {"timeout": "forever"}, 400, "timeout"),
        ("/api/v1/messages/wait", {"timeout": "301"}, 400, "timeout"),
        ("/api/v1/messages/wait", {"timeout": "nan"}, 400, "timeout"),
        ("/api/v1/messages/wait", {"after": "no-such-id"}, 404, "after"),
        ("/api/v1/message/nope/links", {}, 404, "id"),
        ("/api/v1/no-such-route", {}, 404, None),
    ],
)
def test_bad_input_on_our_routes_is_a_json_4xx_naming_the_field(
    api: httpx.Client, path: str, params: dict[str, str], status: int, field: str | None
) -> None:
    response = api.get(path, params=params)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["field"] == field and error["message"]
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    ("path", "params", "status", "text"),
    [
        ("/api/v1/search", {}, 400, "Error: no search query"),
        ("/api/v1/search", {"query": "  "}, 400, "Error: no search query"),
        ("/api/v1/message/nope", {}, 404, "404 page not found"),
        ("/api/v1/message/nope/raw", {}, 404, "404 page not found"),
        (
            "/api/v1/message/latest",
            {"query": "subject:no-such-mail-anywhere"},
            404,
            "Message not found",
        ),
    ],
)
def test_bad_input_on_mailpits_routes_is_its_plain_text(
    api: httpx.Client, path: str, params: dict[str, str], status: int, text: str
) -> None:
    response = api.get(path, params=params)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == text


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PUT", "/api/v1/messages", b"{not json", "body"),
        ("PUT", "/api/v1/messages", b'{"Read": "yes"}', "Read"),
        ("PUT", "/api/v1/messages", b"[1, 2]", "body"),
        ("PUT", "/api/v1/messages", b"", "body"),
        ("DELETE", "/api/v1/messages", b'{"IDs": "abc"}', "IDs"),
        ("PUT", "/api/v1/tags", b'{"IDs": "abc", "Tags": ["a"]}', "IDs"),
        ("PUT", "/api/v1/tags/x", b'{"Name": "!!!"}', "tag name"),
    ],
)
def test_bad_bodies_name_the_field(
    api: httpx.Client, method: str, path: str, body: bytes, field: str
) -> None:
    response = api.request(method, path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert field in response.text and response.headers["content-type"].startswith("text/plain")


def test_huge_body_is_refused_with_413(api: httpx.Client) -> None:
    response = api.put("/api/v1/messages", content=b"{" + b" " * (2 * 1024 * 1024) + b"}")
    assert response.status_code == 413 and "body" in response.text


def test_info_health_and_mailboxes(server: Server, api: httpx.Client, mailbox: str) -> None:
    send(server, make_message(subject="counted"), mailbox)
    info = api.get("/api/v1/info").json()
    assert info["Messages"] >= 1 and info["Mailboxes"][mailbox]["total"] == 1
    assert info["RuntimeStats"]["SMTPAccepted"] >= 1 and info["Version"]
    assert api.get("/livez").json() == {"status": "ok"}
    assert api.get("/readyz").json()["smtp_port"] == server.smtp_port
    boxes = {b["name"]: b for b in api.get("/api/v1/mailboxes").json()["mailboxes"]}
    assert boxes[mailbox] == {"name": mailbox, "total": 1, "unread": 1}


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:8025", "127.0.0.1.nip.io", "[2001:db8::1]:80"]
)
def test_foreign_host_header_is_refused(api: httpx.Client, host: str) -> None:
    response = api.get("/api/v1/messages", headers={"Host": host})
    assert response.status_code == 421
    assert response.json()["error"]["field"] == "Host"


@pytest.mark.parametrize(
    "host", ["localhost", "localhost:8025", "127.0.0.1", "[::1]:8025", "app.localhost"]
)
def test_loopback_host_names_are_served(api: httpx.Client, host: str) -> None:
    assert api.get("/livez", headers={"Host": host}).status_code == 200


def test_allowed_hosts_rules() -> None:
    from mailyard.web.middleware.hosts import allowed_hosts, host_name, is_allowed

    assert allowed_hosts("0.0.0.0") is None  # a wildcard bind answers to any name
    allowed = allowed_hosts("0.0.0.0", ("mail.dev.internal",))
    assert allowed is not None and is_allowed("mail.dev.internal", allowed)
    assert host_name("[::1]:8025") == "::1" and host_name("Example.COM:80") == "example.com"
