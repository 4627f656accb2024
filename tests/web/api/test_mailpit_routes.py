"""Mailpit's routes mailyard lacked (issue 14): html-check, link-check, sa-check, thumb, release,
webui, swagger.json, metrics; against real servers on loopback."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from PIL import Image
from support.mail import Server, make_message, messages, send
from support.servers import start_inprocess

from mailyard.web.testing.inprocess import InProcessServer


class _Pages(BaseHTTPRequestHandler):
    def do_HEAD(self) -> None:
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/ok")
        else:
            self.send_response(200 if self.path == "/ok" else 404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def pages() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def relay_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    server = start_inprocess(tmp_path_factory.mktemp("relay"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def open_server(
    tmp_path_factory: pytest.TempPathFactory, relay_target: InProcessServer
) -> Iterator[InProcessServer]:
    """Link checks may reach loopback; release relays to `relay_target`."""
    server = start_inprocess(
        tmp_path_factory.mktemp("open"),
        "--allow-internal-http-requests",
        "--relay-host",
        "127.0.0.1",
        "--relay-port",
        str(relay_target.smtp_port),
        "--relay-tls",
        "none",
        "--allow-recipients",
        "*@allowed.example",
    )
    yield server
    server.stop()


@pytest.fixture
def open_api(open_server: InProcessServer) -> Iterator[httpx.Client]:
    with open_server.api() as client:
        yield client


def _id(api: httpx.Client, mailbox: str) -> str:
    return str(messages(api, mailbox)[0]["ID"])


def test_html_check_answers_mailpits_shape(server: Server, api: httpx.Client, mailbox: str) -> None:
    send(server, make_message(html="<p style='display:flex'>x</p><script>x</script>"), mailbox)
    body = api.get(f"/api/v1/message/{_id(api, mailbox)}/html-check").json()
    assert set(body) == {"Warnings", "Platforms", "Total"}
    assert {"Tests", "Nodes", "Supported", "Partial", "Unsupported"} == set(body["Total"])
    assert any(w["Slug"] == "html-script" or "script" in w["Title"] for w in body["Warnings"])


def test_html_check_of_a_text_message_is_mailpits_400(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    send(server, make_message(), mailbox)
    response = api.get(f"/api/v1/message/{_id(api, mailbox)}/html-check")
    assert response.status_code == 400 and response.text == "message does not contain HTML"


def test_link_check_follows_when_asked(
    open_server: InProcessServer, open_api: httpx.Client, mailbox: str, pages: str
) -> None:
    html = "".join(f"<a href='{pages}/{p}'>{p}</a>" for p in ("ok", "missing", "moved"))
    send(open_server, make_message(html=html), mailbox)
    message_id = _id(open_api, mailbox)
    plain = open_api.get(f"/api/v1/message/{message_id}/link-check").json()
    assert plain["Errors"] == 1
    assert [link["StatusCode"] for link in plain["Links"]] == [200, 404, 302]
    followed = open_api.get(
        f"/api/v1/message/{message_id}/link-check", params={"follow": "true"}
    ).json()
    assert [link["StatusCode"] for link in followed["Links"]] == [200, 404, 200]
    assert followed["Links"][1]["Status"] == "Not Found"


def test_link_check_refuses_loopback_unless_allowed(
    server: Server, api: httpx.Client, mailbox: str, pages: str
) -> None:
    send(server, make_message(html=f"<a href='{pages}/ok'>ok</a>"), mailbox)
    body = api.get(f"/api/v1/message/{_id(api, mailbox)}/link-check").json()
    assert body == {
        "Errors": 1,
        "Links": [
            {"URL": f"{pages}/ok", "StatusCode": 451, "Status": "Blocked private/reserved address"}
        ],
    }


def test_sa_check_says_it_is_not_enabled(server: Server, api: httpx.Client, mailbox: str) -> None:
    send(server, make_message(), mailbox)
    body = api.get(f"/api/v1/message/{_id(api, mailbox)}/sa-check").json()
    assert body["IsSpam"] is False and "not enabled" in body["Error"] and body["Rules"] == []


def test_thumbnail_of_an_image_attachment(server: Server, api: httpx.Client, mailbox: str) -> None:
    picture = io.BytesIO()
    Image.new("RGB", (400, 300), (0, 0, 255)).save(picture, "PNG")
    msg = make_message()
    msg.add_attachment(picture.getvalue(), "image", "png", filename="chart.png")
    send(server, msg, mailbox)
    message_id = _id(api, mailbox)
    (part,) = api.get(f"/api/v1/message/{message_id}").json()["Attachments"]
    response = api.get(f"/api/v1/message/{message_id}/part/{part['PartID']}/thumb")
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["content-disposition"] == 'filename="chart.png"'
    assert Image.open(io.BytesIO(response.content)).size == (180, 120)
    missing = api.get(f"/api/v1/message/{message_id}/part/9.9/thumb")
    assert missing.status_code == 400 and missing.text == "attachment not found"


def _releasable(subject: str) -> EmailMessage:
    msg = make_message(subject=subject, Bcc="secret@example.com")
    msg["Message-ID"] = "<original@example.com>"
    return msg


def test_release_relays_to_the_configured_relay(
    open_server: InProcessServer,
    open_api: httpx.Client,
    relay_target: InProcessServer,
    mailbox: str,
) -> None:
    send(open_server, _releasable(f"release {mailbox}"), mailbox)
    message_id = _id(open_api, mailbox)
    response = open_api.post(
        f"/api/v1/message/{message_id}/release", json={"To": ["jane@allowed.example"]}
    )
    assert response.status_code == 200 and response.text == "ok"
    with relay_target.api() as target:
        (relayed,) = messages(target, "default", f'subject:"release {mailbox}"')
        raw = target.get(f"/api/v1/message/{relayed['ID']}/raw").content
    assert b"secret@example.com" not in raw and b"original@example.com" not in raw
    # The relay's envelope went to the released address alone (shown as Bcc: no header has it).
    assert [a["Address"] for a in relayed["Bcc"]] == ["jane@allowed.example"]


@pytest.mark.parametrize(
    ("to", "text"),
    [
        (["jane@elsewhere.example"], "Failed: 1 Address do not match the allowlist: "),
        (["a@x.example", "b@y.example"], "Failed: 2 Addresses do not match the allowlist: "),
        (["not an address"], "Invalid email address: not an address"),
        ([], "No valid addresses found"),
    ],
)
def test_release_refuses_as_mailpit_does(
    open_server: InProcessServer,
    open_api: httpx.Client,
    mailbox: str,
    to: list[str],
    text: str,
) -> None:
    send(open_server, make_message(), mailbox)
    response = open_api.post(f"/api/v1/message/{_id(open_api, mailbox)}/release", json={"To": to})
    assert response.status_code == 400 and response.text.startswith(text)


def test_release_without_a_relay_says_so(server: Server, api: httpx.Client, mailbox: str) -> None:
    send(server, make_message(), mailbox)
    message_id = _id(api, mailbox)
    response = api.post(
        f"/api/v1/message/{message_id}/release", json={"To": ["x@simulator.amazonses.com"]}
    )
    assert response.status_code == 400 and response.text.startswith("SMTP error:")
    latest = api.post("/api/v1/message/latest/release", json={"To": ["a@example.com"]})
    assert latest.status_code == 404  # Mailpit's release takes no `latest`


def test_webui_swagger_and_metrics(
    open_server: InProcessServer, open_api: httpx.Client, mailbox: str
) -> None:
    webui = open_api.get("/api/v1/webui").json()
    assert webui["MessageRelay"]["Enabled"] is True
    assert webui["MessageRelay"]["AllowedRecipients"] == "*@allowed.example"
    assert webui["ChaosEnabled"] is False  # no --enable-chaos
    swagger = open_api.get("/api/v1/swagger.json").json()
    assert "/api/v1/message/{id}/release" in swagger["paths"]
    send(open_server, make_message(), mailbox)
    open_api.get("/api/v1/search", params={"query": "hello"})
    metrics = open_api.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    for name in (
        "mailpit_messages ",
        "mailpit_smtp_accepted_total ",
        "mailyard_smtp_sessions ",
        "mailyard_store_errors_total 0.0",
        "mailyard_search_seconds_count 1.0",
    ):
        assert name in text, name
