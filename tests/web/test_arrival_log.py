"""`mailyard serve` logs one concise line per received message, which no subject can forge,
which never shows a secret, and which `--quiet` turns off."""

from __future__ import annotations

import base64
import json
import logging
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.mail import send_raw
from support.servers import start_inprocess

from mailyard.sandbox import Bus, MessageStored
from mailyard.web.logs import SUBJECT_CHARS, arrival_line, log_arrivals, printable

HOSTILE = "Hi\r\n2026-12-03 12:00:00 ERROR mailyard: forged\x1b[2J\u202egnp.exe\u2028\x85 end"
SECRET = "re_CANARY_resend_key_0001"
UNSAFE = ("Cc", "Cf", "Zl", "Zp")


def _encoded(subject: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(subject.encode()).decode() + "?="


def _raw(subject_header: str, size: int = 0) -> bytes:
    return (
        f"From: app@example.com\r\nTo: jane@example.com\r\nSubject: {subject_header}\r\n\r\n"
        + "x" * size
        + "\r\n"
    ).encode()


def _lines(caplog: pytest.LogCaptureFixture, count: int, bound: float = 10.0) -> list[str]:
    """The received-message lines, once there are `count` of them (bounded wait)."""
    deadline = time.monotonic() + bound
    while True:
        found = [r.getMessage() for r in caplog.records if r.name == "mailyard.received"]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.01)


@pytest.fixture
def received(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.INFO, logger="mailyard.received"):
        yield caplog


def test_each_received_message_is_one_line_with_what_a_person_looks_for(
    tmp_path: Path, received: pytest.LogCaptureFixture
) -> None:
    srv = start_inprocess(tmp_path)
    try:
        send_raw(srv, _raw("Your code is 493021", 2000), ["jane@example.com", "bob@example.com"])
        send_raw(srv, _raw("Welcome"), ["jane@example.com"], mailbox="ci-job-7")
        lines = _lines(received, 2)
        with srv.api() as api:
            newest = api.get("/api/v1/messages").json()["messages"]
    finally:
        srv.stop()
    assert len(lines) == 2
    first, second = lines
    assert first.startswith("event=message.received id=")
    assert f"id={newest[1]['ID']} " in first and f"id={newest[0]['ID']} " in second
    assert "mailbox=default via=smtp from=app@example.com to=2 size=" in first
    assert 'subject="Your code is 493021"' in first
    assert "mailbox=ci-job-7" in second and "to=1" in second


def test_a_hostile_subject_cannot_forge_a_line_and_is_cut(
    tmp_path: Path, received: pytest.LogCaptureFixture
) -> None:
    srv = start_inprocess(tmp_path)
    try:
        send_raw(srv, _raw(_encoded(HOSTILE * 3)), ["jane@example.com"])
        (line,) = _lines(received, 1)
    finally:
        srv.stop()
    assert not [c for c in line if unicodedata.category(c) in UNSAFE], repr(line)
    subject = json.loads(line.split(" subject=", 1)[1])
    assert len(subject) == SUBJECT_CHARS and subject.endswith("…")
    assert " ".join(subject.split()).startswith("Hi 2026-12-03 12:00:00 ERROR mailyard: forged")


def test_quiet_logs_no_line_per_message(tmp_path: Path, received: pytest.LogCaptureFixture) -> None:
    srv = start_inprocess(tmp_path, "--quiet")
    try:
        send_raw(srv, _raw("Quiet please"), ["jane@example.com"])
        with srv.api() as api:
            assert api.get("/api/v1/messages").json()["total"] == 1
        assert srv.services is not None and srv.services.bus.published >= 1  # nobody logged it
    finally:
        srv.stop()
    assert _lines(received, 1, bound=0) == []


def test_the_quiet_environment_variable_works_as_the_flag(
    tmp_path: Path, received: pytest.LogCaptureFixture
) -> None:
    srv = start_inprocess(tmp_path, env={"MAILYARD_QUIET": "1"})
    try:
        assert srv.services is not None and srv.services.settings.quiet
        send_raw(srv, _raw("Quiet please"), ["jane@example.com"])
        with srv.api() as api:
            assert api.get("/api/v1/messages").json()["total"] == 1
    finally:
        srv.stop()
    assert _lines(received, 1, bound=0) == []


def test_a_secret_in_a_subject_is_redacted_before_it_is_cut(
    tmp_path: Path, received: pytest.LogCaptureFixture
) -> None:
    # The secret straddles the cut: cutting first would leave its first characters in the line.
    srv = start_inprocess(tmp_path, env={"RESEND_API_KEY": SECRET})
    try:
        send_raw(srv, _raw("x" * (SUBJECT_CHARS - 10) + SECRET), ["jane@example.com"])
        (line,) = _lines(received, 1)
    finally:
        srv.stop()
    assert SECRET[:6] not in line and "[redacte" in line


def _event(subject: str, mail_from: str = "app@example.com") -> MessageStored:
    return MessageStored(
        seq=1,
        id="abc",
        mailbox="default",
        source="smtp",
        mail_from=mail_from,
        recipients=("jane@example.com",),
        subject=subject,
        size=120,
        created=0.0,
    )


def test_the_json_format_is_one_json_object_per_line() -> None:
    line = arrival_line(_event(HOSTILE, mail_from=""), fmt="json")
    assert "\n" not in line and "\u2028" not in line
    fields = json.loads(line)
    assert fields["event"] == "message.received" and fields["from"] == "<>"
    assert fields["to"] == 1 and fields["size"] == 120


def test_printable_looks_at_a_bounded_prefix_of_any_input() -> None:
    huge = "\u202e" * 5_000_000
    shown = printable(huge, SUBJECT_CHARS)
    assert len(shown) == SUBJECT_CHARS and shown.endswith("…")
    assert printable("short", SUBJECT_CHARS) == "short"
    assert printable("ünïcødé 日本語", SUBJECT_CHARS) == "ünïcødé 日本語"


def test_the_listener_stops_when_asked() -> None:
    bus = Bus()
    stop = log_arrivals(bus)
    logger = logging.getLogger("mailyard.received")
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    handler, level = Keep(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        bus.publish(_event("one"))
        stop()
        bus.publish(_event("two"))
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert [r.getMessage().rsplit("subject=", 1)[1] for r in seen] == ['"one"']
