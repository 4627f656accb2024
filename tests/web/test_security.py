"""Cross-site and content defences of the inbox and API, over plain HTTP against a real server."""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from support.mail import Server, make_message, messages, send, send_raw
from support.servers import start_inprocess as start_server


def _csrf(api: httpx.Client) -> str:
    match = re.search(r'"X-CSRF-Token": "([0-9a-f]+)"', api.get("/").text)
    assert match, "the page carries its CSRF token"
    return match.group(1)


def test_foreign_origin_cannot_change_state(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    send(server, make_message(subject="precious"), mailbox)
    for method, path, body in (
        ("DELETE", "/api/v1/messages", None),
        ("PUT", "/api/v1/messages", b'{"Read": true}'),
        ("DELETE", "/api/v1/search?query=precious", None),
        ("POST", "/ui/preview/send", b"concept=welcome"),
    ):
        response = api.request(
            method, path, content=body, headers={"Origin": "https://evil.example"}
        )
        assert response.status_code == 403, (method, path)
        assert response.json()["error"]["code"] == "cross_site"
    assert [m["Subject"] for m in messages(api, mailbox)] == ["precious"]


def test_same_origin_and_originless_clients_still_work(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    send(server, make_message(subject="x"), mailbox)
    own = {"Origin": server.url}
    assert (
        api.put(
            "/api/v1/messages", params={"mailbox": mailbox}, json={"Read": True}, headers=own
        ).status_code
        == 200
    )
    assert (
        api.put("/api/v1/messages", params={"mailbox": mailbox}, json={"Read": False}).status_code
        == 200
    )  # CI


def test_ui_form_needs_its_csrf_token(server: Server, api: httpx.Client) -> None:
    form = {"content-type": "application/x-www-form-urlencoded", "Origin": server.url}
    missing = api.post(
        "/ui/preview/send", content=b"concept=welcome&theme=built-in&locale=en-US", headers=form
    )
    assert missing.status_code == 403 and missing.json()["error"]["code"] == "csrf"
    token = _csrf(api)
    sent = api.post(
        "/ui/preview/send",
        content=b"concept=welcome&theme=built-in&locale=en-US&to=csrf-ok%40example.com",
        headers={**form, "X-CSRF-Token": token},
    )
    assert sent.status_code == 200 and "Sent" in sent.text


def test_event_stream_refuses_a_foreign_origin(api: httpx.Client) -> None:
    response = api.get("/ui/events", headers={"Origin": "https://evil.example"})
    assert response.status_code == 403


def test_pages_send_a_strict_content_security_policy(api: httpx.Client) -> None:
    for path in ("/", "/preview", "/status"):
        response = api.get(path)
        csp = response.headers["content-security-policy"]
        assert (
            "script-src 'self'" in csp
            and "frame-ancestors 'none'" in csp
            and "unsafe-inline" not in csp
        )
        assert response.headers["x-content-type-options"] == "nosniff"


def test_html_view_is_sandboxed_and_blocks_remote_content(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    send(server, make_message(subject="v", html="<p>x</p>"), mailbox)
    (found,) = messages(api, mailbox)
    strict = api.get(f"/view/{found['ID']}.html").headers["content-security-policy"]
    assert (
        strict.startswith("sandbox")
        and "allow-scripts" not in strict
        and "default-src 'none'" in strict
    )
    assert (
        "img-src data: http://127.0.0.1/view/" in strict
        and "'self'" not in strict.split("img-src")[1].split(";")[0]
    )
    remote = api.get(f"/view/{found['ID']}.html", params={"remote": "1"}).headers[
        "content-security-policy"
    ]
    assert "img-src * data:" in remote and "script" not in remote.replace("default-src 'none'", "")


def test_attachment_download_is_safe(server: Server, api: httpx.Client, mailbox: str) -> None:
    raw = (
        b"Subject: files\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n"
        b"Content-Type: text/plain\r\n\r\nsee attached\r\n--B\r\nContent-Type: text/html\r\n"
        b"Content-Disposition: attachment; filename*=utf-8''..%2F..%2Fx.html%22%0D%0ASet-Cookie%3A%20a%3Db\r\n\r\n"
        b"<script>alert(1)</script>\r\n--B\r\nContent-Type: image/svg+xml\r\n"
        b"Content-Disposition: attachment; filename=logo.svg\r\n\r\n<svg onload=alert(1)>\r\n--B--\r\n"
    )
    send_raw(server, raw, ["victim@example.com"], mailbox)
    (found,) = messages(api, mailbox)
    parts = api.get(f"/api/v1/message/{found['ID']}").json()["Attachments"]
    for part in parts:
        response = api.get(f"/api/v1/message/{found['ID']}/part/{part['PartID']}")
        disposition = response.headers["content-disposition"]
        assert (
            disposition.startswith("attachment;")
            and "\r" not in disposition
            and ".." not in disposition
        )
        assert "set-cookie" not in response.headers
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-security-policy"].startswith("sandbox")
    from mailyard.web.api.message import content_disposition

    assert content_disposition("résumé 2026.pdf", "p") == (
        "attachment; filename=\"r_sum_ 2026.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%202026.pdf"
    )
    # The inline route shows raster images only, never SVG or HTML.
    for part in parts:
        assert api.get(f"/view/{found['ID']}/part/{part['PartID']}").status_code == 404


def test_headers_and_names_are_escaped_in_pages(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    msg = EmailMessage()
    msg["From"] = '"<img src=x onerror=alert(1)>" <evil@example.com>'
    msg["To"] = "victim@example.com"
    msg["Subject"] = "<script>alert('subject')</script>"
    msg.set_content("hi")
    send(server, msg, mailbox)
    (found,) = messages(api, mailbox)
    for path in ("/?mailbox=" + mailbox, f"/message/{found['ID']}"):
        html = api.get(path).text
        assert "<script>alert('subject')</script>" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Server:
    folder = tmp_path_factory.mktemp("guarded")
    (folder / "ui-users").write_text("admin:correct horse\n")
    srv = start_server(folder, "--ui-auth-file", str(folder / "ui-users"))
    yield srv  # type: ignore[misc]
    srv.stop()


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/message/x",
        "/preview",
        "/status",
        "/ui/events",
        "/api/v1/messages",
        "/api/v1/message/latest/raw",
        "/view/x.html",
        "/api/v1/openapi.json",
        "/static/app.js",
    ],
)
def test_basic_auth_covers_ui_and_api(guarded: Server, path: str) -> None:
    with guarded.api() as api:
        anonymous = api.get(path)
        wrong = api.get(path, auth=("admin", "wrong"))
        unknown = api.get(path, auth=("nobody", "correct horse"))
    assert anonymous.status_code == wrong.status_code == unknown.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Basic")


def test_basic_auth_lets_the_right_user_in_and_leaves_health_checks_open(guarded: Server) -> None:
    with guarded.api() as api:
        assert api.get("/api/v1/messages", auth=("admin", "correct horse")).status_code == 200
        assert api.get("/livez").status_code == 200 and api.get("/readyz").status_code == 200


def test_status_page_shows_the_not_configured_path(tmp_path: Path) -> None:
    srv = start_server(tmp_path, env={"MAILYARD_DELIVERY": "resend", "RESEND_API_KEY": ""})
    try:
        with srv.api() as api:
            html = api.get("/status").text
            delivery = api.get("/api/v1/delivery").json()
        assert (
            "not configured" in html and "email_not_configured" in html and "RESEND_API_KEY" in html
        )
        assert delivery == {
            **delivery,
            "provider": "resend",
            "configured": False,
            "missing": ["RESEND_API_KEY"],
        }
    finally:
        srv.stop()


def test_a_captured_email_cannot_point_images_at_the_api(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    """One email once held eight long polls open from the reader's browser (issue 9, break 10)."""
    send(server, make_message(subject="pixel", html='<img src="/api/v1/messages/wait">'), mailbox)
    (found,) = messages(api, mailbox)
    policy = api.get(f"/view/{found['ID']}.html").headers["content-security-policy"]
    image_sources = next(d for d in policy.split(";") if d.strip().startswith("img-src")).split()
    assert "'self'" not in image_sources and "*" not in image_sources
    assert image_sources[-1] == f"http://127.0.0.1/view/{found['ID']}/part/"
    as_image = api.get("/api/v1/messages/wait", headers={"Sec-Fetch-Dest": "image"})
    assert as_image.status_code == 403 and as_image.json()["error"]["code"] == "not_a_subresource"


def test_another_site_opening_a_message_does_not_mark_it_read(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    send(server, make_message(subject="still unread"), mailbox)
    (found,) = messages(api, mailbox)
    api.get(f"/api/v1/message/{found['ID']}", headers={"Sec-Fetch-Site": "cross-site"})
    assert messages(api, mailbox)[0]["Read"] is False
    api.get(f"/api/v1/message/{found['ID']}")  # a CI client: no Fetch Metadata, Mailpit's rule
    assert messages(api, mailbox)[0]["Read"] is True
