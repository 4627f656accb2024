"""The sink's answers beyond the protocol: scenario addresses that fail N times, SMTP faults,
send limits, slow AUTH guessing, and sessions NOOP cannot keep open (issues 9 and 11)."""

from __future__ import annotations

import logging
import smtplib
import time
from pathlib import Path

import pytest
from support.servers import start_inprocess
from support.smtpwire import Conversation


def _dialogue(port: int, *commands: bytes) -> list[bytes]:
    c = Conversation(port)
    try:
        return [c.cmd(command) for command in commands]
    finally:
        c.close()


def test_a_fail_twice_address_is_refused_twice_then_accepted(tmp_path: Path) -> None:
    srv = start_inprocess(tmp_path)
    try:
        answers = []
        for _ in range(3):
            with smtplib.SMTP("127.0.0.1", srv.smtp_port, timeout=10) as smtp:
                smtp.login("ci-7", "x")
                smtp.mail("app@example.com")
                answers.append(smtp.rcpt("fail-2x-451@sim.mailyard.test")[0])
                if answers[-1] == 250:
                    smtp.data(b"Subject: finally\r\n\r\nx")
        with srv.api() as api:
            total = api.get("/api/v1/messages", params={"mailbox": "ci-7"}).json()["total"]
    finally:
        srv.stop()
    assert answers == [451, 451, 250]
    assert total == 1


def test_an_unknown_scenario_is_refused_at_rcpt_by_name(tmp_path: Path) -> None:
    srv = start_inprocess(tmp_path)
    try:
        *_, rcpt = _dialogue(
            srv.smtp_port,
            b"EHLO t\r\n",
            b"MAIL FROM:<a@example.com>\r\n",
            b"RCPT TO:<explode@sim.mailyard.test>\r\n",
        )
    finally:
        srv.stop()
    assert rcpt.startswith(b"550 5.1.1") and b"explode" in rcpt


def test_configured_faults_answer_at_their_stage(tmp_path: Path) -> None:
    srv = start_inprocess(tmp_path, "--smtp-faults", "rcpt 452 100% match=*@flaky.example")
    try:
        _, _, flaky, fine = _dialogue(
            srv.smtp_port,
            b"EHLO t\r\n",
            b"MAIL FROM:<a@example.com>\r\n",
            b"RCPT TO:<x@flaky.example>\r\n",
            b"RCPT TO:<y@fine.example>\r\n",
        )
    finally:
        srv.stop()
    assert flaky.startswith(b"452") and fine.startswith(b"250")


def test_a_send_rate_limit_answers_451_with_the_rate(tmp_path: Path) -> None:
    from mailyard.sandbox import Clock

    clock = Clock.frozen()
    srv = start_inprocess(tmp_path, "--smtp-max-send-rate", "2", clock=clock)
    try:
        codes = []
        with smtplib.SMTP("127.0.0.1", srv.smtp_port, timeout=10) as smtp:
            for i in range(3):
                try:
                    smtp.sendmail("a@example.com", ["b@example.com"], f"Subject: {i}\r\n\r\nx")
                    codes.append(250)
                except smtplib.SMTPDataError as exc:
                    codes.append(exc.smtp_code)
            clock.advance(1)  # a second later the bucket has refilled
            smtp.sendmail("a@example.com", ["b@example.com"], b"Subject: later\r\n\r\nx")
            codes.append(250)
    finally:
        srv.stop()
    assert codes == [250, 250, 451, 250]


def test_auth_guessing_is_logged_slowed_and_cut_off(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    users = tmp_path / "users"
    users.write_text("real:secret\n")
    srv = start_inprocess(tmp_path, "--smtp-auth-file", str(users))
    try:
        c = Conversation(srv.smtp_port)
        c.cmd(b"EHLO t\r\n")
        started = time.monotonic()
        replies = []
        with caplog.at_level(logging.WARNING, logger="mailyard.smtp"):
            for guess in range(5):
                token = __import__("base64").b64encode(f"\0real\0guess{guess}".encode())
                replies.append(c.cmd(b"AUTH PLAIN " + token + b"\r\n")[:3])
        elapsed = time.monotonic() - started
        assert c.sock.recv(10) == b""  # closed after the fifth failure
        c.close()
    finally:
        srv.stop()
    assert replies == [b"535"] * 5
    assert elapsed >= 0.25 + 0.5  # failures 4 and 5 waited 0.25 s and 0.5 s
    assert caplog.text.count("SMTP AUTH failed for user 'real' from 127.0.0.1") == 5
    assert "guess" not in caplog.text  # never the password


def test_noop_does_not_keep_an_idle_session(tmp_path: Path) -> None:
    srv = start_inprocess(tmp_path, "--smtp-idle-timeout", "1")
    try:
        c = Conversation(srv.smtp_port)
        c.cmd(b"EHLO t\r\n")
        deadline = time.monotonic() + 10
        closed = False
        while time.monotonic() < deadline:
            try:
                if not c.cmd(b"NOOP\r\n").startswith(b"250"):
                    closed = True
                    break
            except (AssertionError, OSError):  # the server closed the session
                closed = True
                break
            time.sleep(0.2)  # a client keeping the session warm, as the attack did
        c.close()
    finally:
        srv.stop()
    assert closed and time.monotonic() < deadline
