"""The SMTP sink over real loopback connections: what is accepted, refused, and stored."""

from __future__ import annotations

import asyncio
import logging
import smtplib
import socket
import ssl
import time
from pathlib import Path

import aiosmtplib
import httpx
import pytest
import trustme
from support.mail import Server, make_message, messages, send, send_raw
from support.servers import start_inprocess as start_server
from support.smtpwire import Conversation


def raw_of(api: httpx.Client, message_id: str) -> bytes:
    response = api.get(f"/api/v1/message/{message_id}/raw")
    assert response.status_code == 200
    return response.content


def test_message_is_listed_the_moment_250_is_answered(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    send(server, make_message(subject="durable before 250"), mailbox)
    # No waiting: the 250 is only sent after the commit, so the message must be there now.
    found = messages(api, mailbox)
    assert [m["Subject"] for m in found] == ["durable before 250"]
    assert found[0]["Username"] == mailbox


def test_aiosmtplib_client_is_captured(server: Server, api: httpx.Client, mailbox: str) -> None:
    async def go() -> None:
        await aiosmtplib.send(
            make_message(subject="from aiosmtplib"),
            hostname="127.0.0.1",
            port=server.smtp_port,
            username=mailbox,
            password="x",
            start_tls=False,
        )

    asyncio.run(go())
    assert [m["Subject"] for m in messages(api, mailbox)] == ["from aiosmtplib"]


def test_auth_user_names_the_mailbox_and_default_is_default(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    send(server, make_message(subject="boxed"), mailbox)
    send(server, make_message(subject=f"unboxed {mailbox}"))
    assert [m["Subject"] for m in messages(api, mailbox)] == ["boxed"]
    default = messages(api, "default", query=f'subject:"unboxed {mailbox}"')
    assert len(default) == 1 and default[0]["Mailbox"] == "default"


def test_declared_size_over_limit_is_552_and_connection_stays_usable(strict: Server) -> None:
    c = Conversation(strict.smtp_port)
    assert b"SIZE 20000" in c.cmd(b"EHLO test\r\n")
    assert c.cmd(b"MAIL FROM:<a@example.com> SIZE=20001\r\n").startswith(b"552")
    assert c.cmd(b"MAIL FROM:<a@example.com> SIZE=100\r\n").startswith(b"250")
    c.close()


def test_data_over_limit_is_552_after_the_dot_and_next_message_works(strict: Server) -> None:
    c = Conversation(strict.smtp_port)
    c.cmd(b"EHLO test\r\n")
    c.cmd(b"MAIL FROM:<a@example.com>\r\n")
    c.cmd(b"RCPT TO:<big@example.com>\r\n")
    assert c.cmd(b"DATA\r\n").startswith(b"354")
    body = b"Subject: too big\r\n\r\n" + (b"x" * 70 + b"\r\n") * 400
    assert c.cmd(body + b".\r\n").startswith(b"552 5.3.4")
    c.cmd(b"MAIL FROM:<a@example.com>\r\n")
    c.cmd(b"RCPT TO:<small@example.com>\r\n")
    c.cmd(b"DATA\r\n")
    assert c.cmd(b"Subject: strict small after big\r\n\r\nok\r\n.\r\n").startswith(b"250")
    c.close()
    with strict.api() as api:
        subjects = [m["Subject"] for m in messages(api, "default")]
    assert "strict small after big" in subjects and "too big" not in subjects


def test_recipients_over_cap_get_452_and_earlier_ones_are_kept(strict: Server) -> None:
    c = Conversation(strict.smtp_port)
    c.cmd(b"EHLO test\r\n")
    c.cmd(b"MAIL FROM:<a@example.com>\r\n")
    replies = [c.cmd(f"RCPT TO:<r{i}@example.com>\r\n".encode()) for i in range(5)]
    assert [r[:3] for r in replies] == [b"250", b"250", b"250", b"452", b"452"]
    assert b"4.5.3" in replies[3]
    c.cmd(b"DATA\r\n")
    assert c.cmd(b"Subject: capped recipients\r\n\r\nhi\r\n.\r\n").startswith(b"250")
    c.close()
    with strict.api() as api:
        found = messages(api, "default", query='subject:"capped recipients"')
        full = api.get(f"/api/v1/message/{found[0]['ID']}").json()
    assert full["Envelope"]["RcptTo"] == ["r0@example.com", "r1@example.com", "r2@example.com"]


def test_long_lines_and_lf_only_messages_are_stored_byte_exact(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    long_line = b"<p>" + b"y" * 5000 + b"</p>"
    raw = (
        b"Subject: long and lf\nFrom: a@example.com\nTo: b@example.com\n\n"
        + long_line
        + b"\n"
        + (b"line\n" * 50)
        + b".leading dot\n"
    )
    send_raw(server, raw, ["b@example.com"], mailbox)
    (found,) = messages(api, mailbox)
    stored = raw_of(api, str(found["ID"]))
    # smtplib appends CRLF when the data does not end with it; everything else is as sent.
    assert stored == raw + b"\r\n"
    assert found["Subject"] == "long and lf"


SMUGGLING_ENDINGS = [
    b"\n.\n",
    b"\r.\r",
    b"\r.\n",
    b"\n.\r",
    b"\n.\r\n",
    b"\r\n.\n",
    b"\r.\r\n",
    b"\r\n.\r",
    b"\r\n\x00.\r\n",
]


@pytest.mark.parametrize("ending", SMUGGLING_ENDINGS, ids=[e.hex() for e in SMUGGLING_ENDINGS])
def test_smuggling_endings_never_split_one_data_into_two(
    server: Server, api: httpx.Client, mailbox: str, ending: bytes
) -> None:
    c = Conversation(server.smtp_port)
    c.cmd(b"EHLO test\r\n")
    import base64

    auth = base64.b64encode(b"\0" + mailbox.encode() + b"\0pw")
    assert c.cmd(b"AUTH PLAIN " + auth + b"\r\n").startswith(b"235")
    c.cmd(b"MAIL FROM:<a@example.com>\r\n")
    c.cmd(b"RCPT TO:<b@example.com>\r\n")
    c.cmd(b"DATA\r\n")
    smuggled = (
        b"Subject: outer\r\n\r\nbody" + ending + b"MAIL FROM:<spoof@bank.example>\r\n"
        b"RCPT TO:<victim@example.com>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n.\r\n"
    )
    reply = c.cmd(smuggled)
    assert reply.startswith(b"250")
    # Only one reply came: the next command gets its own answer, not a queued 250.
    assert c.cmd(b"NOOP\r\n").startswith(b"250")
    c.close()
    found = messages(api, mailbox)
    assert [m["Subject"] for m in found] == ["outer"]
    assert b"Subject: smuggled" in raw_of(api, str(found[0]["ID"]))


def test_pipelined_transactions_are_answered_in_order(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    import base64

    c = Conversation(server.smtp_port)
    c.cmd(b"EHLO test\r\n")
    c.cmd(b"AUTH PLAIN " + base64.b64encode(b"\0" + mailbox.encode() + b"\0pw") + b"\r\n")
    batch = (
        b"".join(
            b"MAIL FROM:<a@example.com>\r\nRCPT TO:<p%d@example.com>\r\nDATA\r\n" % i
            + b"Subject: pipelined %d\r\n\r\nhi\r\n.\r\n" % i
            for i in (1, 2)
        )
        + b"QUIT\r\n"
    )
    c.sock.sendall(batch)
    codes = [c.reply()[:3] for _ in range(9)]
    assert codes == [b"250", b"250", b"354", b"250", b"250", b"250", b"354", b"250", b"221"]
    c.close()
    assert sorted(m["Subject"] for m in messages(api, mailbox)) == ["pipelined 1", "pipelined 2"]


def test_dot_stuffing_is_undone(server: Server, api: httpx.Client, mailbox: str) -> None:
    # smtplib stuffs these lines to "..first", "...second" and ".."; the sink must undo it.
    raw = b"Subject: dots\r\n\r\n.first\r\n..second\r\n.\r\nlast\r\n"
    send_raw(server, raw, ["b@example.com"], mailbox)
    (found,) = messages(api, mailbox)
    assert raw_of(api, str(found["ID"])) == raw


def test_empty_message_is_stored(server: Server, api: httpx.Client, mailbox: str) -> None:
    import base64

    c = Conversation(server.smtp_port)
    c.cmd(b"EHLO test\r\n")
    c.cmd(b"AUTH PLAIN " + base64.b64encode(b"\0" + mailbox.encode() + b"\0pw") + b"\r\n")
    c.cmd(b"MAIL FROM:<a@example.com>\r\n")
    c.cmd(b"RCPT TO:<b@example.com>\r\n")
    c.cmd(b"DATA\r\n")
    assert c.cmd(b".\r\n").startswith(b"250")
    c.close()
    (found,) = messages(api, mailbox)
    assert found["Size"] == 0 and raw_of(api, str(found["ID"])) == b""


def _deep_multipart(depth: int) -> bytes:
    head = (
        b"Subject: deep\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"
    )
    body = b""
    for i in range(1, depth):
        body += b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i - 1, i)
    body += b"--b%d\r\nContent-Type: text/plain\r\n\r\ninnermost\r\n" % (depth - 1)
    for i in reversed(range(depth)):
        body += b"--b%d--\r\n" % i
    return head + body


HOSTILE = {
    "deep-multipart": _deep_multipart(2000),
    "unknown-charset": b"Subject: =?x-unknown?Q?caf=E9?=\r\nContent-Type: text/plain; charset=x-unknown\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\n%%%not base64%%%\r\n",
    "many-addresses": b"Subject: crowd\r\nTo: "
    + b", ".join(b"user%d@example.com" % i for i in range(20000))
    + b"\r\n\r\nhello\r\n",
    "nul-and-8bit": b"Subject: bytes\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\xff\xfe caf\xc3\xa9 \x00 end\r\n",
    "no-headers": b"just a body line without any header\r\n",
    "broken-mime": b"Subject: broken\r\nContent-Type: multipart/alternative\r\n\r\n--nowhere\r\nhalf",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_messages_are_stored_and_viewable(
    server: Server, api: httpx.Client, mailbox: str, name: str
) -> None:
    raw = HOSTILE[name]
    send_raw(server, raw, ["victim@example.com"], mailbox)
    (found,) = messages(api, mailbox)
    message_id = str(found["ID"])
    # smtplib ends the data with CRLF when it does not already; the rest is as sent.
    assert raw_of(api, message_id) == (raw if raw.endswith(b"\r\n") else raw + b"\r\n")
    for path in ("", "/headers", "/links", "/codes"):
        response = api.get(f"/api/v1/message/{message_id}{path}")
        assert response.status_code == 200, (path, response.text)
    for view in ("html", "txt"):
        response = api.get(f"/view/{message_id}.{view}")
        # Without an HTML part the HTML view is Mailpit's 404 (issue 14), never a failure.
        no_html = response.text == "This message does not contain a HTML part"
        assert response.status_code == 200 or (view == "html" and no_html), response.text


def test_deep_multipart_degrades_with_a_note(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    send_raw(server, HOSTILE["deep-multipart"], ["victim@example.com"], mailbox)
    (found,) = messages(api, mailbox)
    full = api.get(f"/api/v1/message/{found['ID']}").json()
    assert any("nesting" in note for note in full["Notes"])
    assert "innermost" in full["Text"]


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> object:
    srv = start_server(
        tmp_path_factory.mktemp("strict"), "--smtp-max-size", "20000", "--smtp-max-recipients", "3"
    )
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, trustme.CA]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(cert_path))
    cert.private_key_pem.write_to_path(str(key_path))
    return cert_path, key_path, ca


def _client_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def test_starttls_and_auth_from_a_file(
    tmp_path: Path, tls_files: tuple[Path, Path, trustme.CA], caplog: pytest.LogCaptureFixture
) -> None:
    cert, key, ca = tls_files
    users = tmp_path / "users"
    users.write_text("# CI jobs\nci-1:s3cret\n")
    srv = start_server(
        tmp_path,
        "--smtp-tls-cert",
        str(cert),
        "--smtp-tls-key",
        str(key),
        "--smtp-auth-file",
        str(users),
        "--smtp-require-tls",
    )
    try:
        with smtplib.SMTP("127.0.0.1", srv.smtp_port, timeout=10) as smtp:
            smtp.ehlo()
            with pytest.raises(smtplib.SMTPSenderRefused):  # TLS is required before MAIL
                smtp.sendmail("a@example.com", ["b@example.com"], b"Subject: x\r\n\r\nx\r\n")
        with smtplib.SMTP("127.0.0.1", srv.smtp_port, timeout=10) as smtp:
            smtp.starttls(context=_client_context(ca))
            with pytest.raises(smtplib.SMTPAuthenticationError):
                smtp.login("ci-1", "wrong")
            smtp.login("ci-1", "s3cret")
            smtp.send_message(make_message(subject="over tls"))
        with srv.api() as api:
            (found,) = messages(api, "ci-1")
            full = api.get(f"/api/v1/message/{found['ID']}").json()
        assert full["Envelope"]["TLS"] is True
        assert "s3cret" not in caplog.text
    finally:
        srv.stop()


def test_implicit_tls(tmp_path: Path, tls_files: tuple[Path, Path, trustme.CA]) -> None:
    cert, key, ca = tls_files
    srv = start_server(
        tmp_path, "--smtp-tls-cert", str(cert), "--smtp-tls-key", str(key), "--smtp-tls-implicit"
    )
    try:
        with smtplib.SMTP_SSL(
            "127.0.0.1", srv.smtp_port, timeout=10, context=_client_context(ca)
        ) as smtp:
            smtp.login("tls-box", "any")
            smtp.send_message(make_message(subject="implicit tls"))
        with srv.api() as api:
            (found,) = messages(api, "tls-box")
            assert api.get(f"/api/v1/message/{found['ID']}").json()["Envelope"]["TLS"] is True
    finally:
        srv.stop()


@pytest.mark.parametrize("implicit", [True, False], ids=["implicit", "starttls"])
def test_a_failed_tls_handshake_is_one_line_not_a_traceback(
    tmp_path: Path,
    tls_files: tuple[Path, Path, trustme.CA],
    caplog: pytest.LogCaptureFixture,
    implicit: bool,
) -> None:
    cert, key, _ = tls_files
    flags = ["--smtp-tls-implicit"] if implicit else []
    srv = start_server(tmp_path, "--smtp-tls-cert", str(cert), "--smtp-tls-key", str(key), *flags)
    try:
        with (
            caplog.at_level(logging.INFO),
            socket.create_connection(("127.0.0.1", srv.smtp_port), timeout=10) as plain,
        ):
            if not implicit:
                reader = plain.makefile("rb")
                reader.readline()
                plain.sendall(b"EHLO x\r\n")
                while not reader.readline().startswith(b"250 "):
                    pass
                plain.sendall(b"STARTTLS\r\n")
                assert reader.readline().startswith(b"220")
            plain.sendall(b"EHLO not-tls\r\n" * 20)  # not a ClientHello
            while plain.recv(100):  # the server hangs up (after a 421 for STARTTLS)
                pass
    finally:
        srv.stop()
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.exc_info]


def test_starttls_injection_is_not_executed(
    tmp_path: Path, tls_files: tuple[Path, Path, trustme.CA]
) -> None:
    """CVE-2024-34083: commands sent in clear after STARTTLS must be discarded."""
    cert, key, ca = tls_files
    srv = start_server(tmp_path, "--smtp-tls-cert", str(cert), "--smtp-tls-key", str(key))
    try:
        sock = socket.create_connection(("127.0.0.1", srv.smtp_port), timeout=10)
        plain = sock.makefile("rb")
        plain.readline()
        sock.sendall(b"EHLO test\r\n")
        while plain.readline()[3:4] == b"-":
            pass
        sock.sendall(b"STARTTLS\r\nEHLO evil\r\nMAIL FROM:<injected@evil.example>\r\n")
        assert plain.readline().startswith(b"220")
        tls = _client_context(ca).wrap_socket(sock, server_hostname="127.0.0.1")
        tls.sendall(b"RCPT TO:<b@example.com>\r\n")
        reply = tls.recv(4096)
        assert reply.startswith(b"503"), reply  # no unsolicited replies, and no HELO was kept
        tls.close()
    finally:
        srv.stop()


@pytest.mark.parametrize(
    "arg",
    [
        "<a@example.com>",
        "<a@example.com> SIZE=100 BODY=8BITMIME",
        "<first.last+tag@sub.example.co.uk>",
        "<o'brien@example.com>",
        "<a..b@example.com>",
        "<.a@example.com>",
        "<a@-example.com>",
        "<>",
        "<a@[127.0.0.1]>",
        '<"quoted name"@example.com>',
        "<josé@bücher.example>",
        "a@example.com",
        "<a@example.com",
        "<@relay.example:a@example.com>",
        " <a@example.com>",
        "<a b@example.com>",
        "<a@example.com> (comment) SIZE=1",
        "<a@example.com>\tSIZE=1",
    ],
)
def test_fast_address_parsing_agrees_with_aiosmtpd(arg: str) -> None:
    from aiosmtpd.smtp import SMTP

    from mailyard.sandbox.capture.sink_session import SinkSMTP

    ours = SinkSMTP.__new__(SinkSMTP)
    stock = SMTP.__new__(SMTP)
    assert ours._getaddr(arg) == stock._getaddr(arg)


def test_connections_past_the_cap_get_421_and_a_freed_slot_is_reused(tmp_path: Path) -> None:
    srv = start_server(tmp_path, "--smtp-max-connections", "2")
    try:
        first, second = Conversation(srv.smtp_port), Conversation(srv.smtp_port)
        third = socket.create_connection(("127.0.0.1", srv.smtp_port), timeout=10)
        assert third.makefile("rb").readline().startswith(b"421 4.7.0")
        assert third.recv(1) == b""  # and closed
        third.close()
        assert first.cmd(b"QUIT\r\n").startswith(b"221")
        first.close()
        # The slot frees when the session ends (bounded wait: the server sees the close first).
        deadline = time.monotonic() + 10
        while True:
            fourth = socket.create_connection(("127.0.0.1", srv.smtp_port), timeout=10)
            banner = fourth.makefile("rb").readline()
            fourth.close()
            if banner.startswith(b"220") or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert banner.startswith(b"220")
        second.close()
    finally:
        srv.stop()


def test_oversized_command_and_unknown_verbs(server: Server) -> None:
    c = Conversation(server.smtp_port)
    c.cmd(b"EHLO test\r\n")
    assert c.cmd(b"MAIL FROM:<" + b"a" * 600 + b"@example.com>\r\n").startswith(b"500")
    assert c.cmd(b"NOOP\r\n").startswith(b"250")  # the session is still usable
    replies = [c.cmd(b"BOGUS\r\n") for _ in range(5)]
    assert replies[-1].startswith(b"502 5.5.1")
    c.close()


def test_smtputf8_envelope_and_8bit_body_round_trip(
    server: Server, api: httpx.Client, mailbox: str
) -> None:
    import base64

    c = Conversation(server.smtp_port)
    assert b"SMTPUTF8" in c.cmd(b"EHLO test\r\n")
    c.cmd(b"AUTH PLAIN " + base64.b64encode(b"\0" + mailbox.encode() + b"\0pw") + b"\r\n")
    assert c.cmd("MAIL FROM:<josé@bücher.example> SMTPUTF8 BODY=8BITMIME\r\n".encode()).startswith(
        b"250"
    )
    assert c.cmd("RCPT TO:<zoë@bücher.example>\r\n".encode()).startswith(b"250")
    c.cmd(b"DATA\r\n")
    body = (
        "Subject: Grüße\r\nFrom: josé@bücher.example\r\n\r\n".encode()
        + b"\xff\xfe invalid utf-8 \x00 nul\r\n"
    )
    assert c.cmd(body + b".\r\n").startswith(b"250")
    c.close()
    (found,) = messages(api, mailbox)
    assert found["Subject"] == "Grüße"
    assert api.get(f"/api/v1/message/{found['ID']}/raw").content == body
    full = api.get(f"/api/v1/message/{found['ID']}").json()
    assert full["Envelope"]["MailFrom"] == "josé@bücher.example" and full["Envelope"]["RcptTo"] == [
        "zoë@bücher.example"
    ]
