"""`mailyard webhook-check URL --format resend` against sample receivers, each a real HTTP server
on 127.0.0.1 making one mistake, and a correct one built on the official `svix` library.

The command must flag exactly each receiver's mistake (and what follows from it), pass the
correct receiver, exit 1 when something was wrongly answered, and fail cleanly (exit 2, no
traceback) when it cannot run. The SNS format needs a running mailyard: tests/e2e/.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import socket
import sqlite3
import threading
import time
from collections.abc import Callable

import pytest
import svix
from click.testing import CliRunner, Result
from support.receivers import Handler, Received, Receiver

from mailyard.web.cli import main

SECRET = "whsec_" + base64.b64encode(random.Random(3).randbytes(24)).decode()
ALL_PASS = {
    "valid": "pass",
    "duplicate": "pass",
    "tampered-body": "pass",
    "tampered-retry": "pass",
    "wrong-secret": "pass",
    "malformed-signature": "pass",
    "stale-timestamp": "pass",
    "future-timestamp": "pass",
    "replay": "pass",
    "out-of-order": "pass",
}


def run_cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def check(url: str, *extra: str) -> tuple[Result, dict[str, object]]:
    result = run_cli("webhook-check", url, "--format", "resend", "--secret", SECRET, *extra)
    report = json.loads(result.stdout) if "--json" in extra else {}
    return result, report


def verdicts(report: dict[str, object]) -> dict[str, str]:
    checks = report["checks"]
    assert isinstance(checks, list)
    return {c["name"]: c["verdict"] for c in checks}


# -- the receivers ---------------------------------------------------------------------------------


def _verified(request: Received) -> bool:
    """The official library, every failure a refusal (it raises ValueError for some)."""
    try:
        svix.Webhook(SECRET).verify(request.body, request.headers)
    except Exception:
        return False
    return True


def _hmac_holds(request: Received) -> bool:
    """The signature checked by hand, without looking at the timestamp."""
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    h = request.headers
    signed = f"{h['svix-id']}.{h['svix-timestamp']}.".encode() + request.body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(s, expected) for s in h["svix-signature"].split())


def _fresh(request: Received) -> bool:
    stamp = request.headers["svix-timestamp"]
    return stamp.isdigit() and abs(time.time() - int(stamp)) <= 300


class App:
    """What the receiving app does once a request is let in: records each event once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.processed: list[str] = []
        self.seen: set[str] = set()

    def process(self, request: Received) -> int:
        with self.lock:
            if request.headers["svix-id"] not in self.seen:  # idempotent on svix-id
                self.seen.add(request.headers["svix-id"])
                self.processed.append(request.json()["type"])
        return 200


def correct(app: App) -> Handler:
    """The official library first, then the app, which deduplicates on svix-id."""
    return lambda r: app.process(r) if _verified(r) else 400


def accepts_any_signature() -> Handler:
    """Checks the timestamp window and deduplicates, but never the signature."""
    app = App()
    return lambda r: app.process(r) if _fresh(r) else 400


def no_timestamp_tolerance() -> Handler:
    """Verifies the HMAC by hand and forgets the timestamp window."""
    app = App()
    return lambda r: app.process(r) if _hmac_holds(r) else 400


def verifies_once_per_id() -> Handler:
    """Verifies an id the first time and trusts it after ("it was verified already")."""
    trusted: set[str] = set()

    def handle(r: Received) -> int:
        if r.headers["svix-id"] not in trusted:
            if not _verified(r):
                return 400
            trusted.add(r.headers["svix-id"])
        return 200

    return handle


def no_idempotency() -> Handler:
    """Verifies, then inserts every event under a unique key: a retry breaks the insert."""
    db = sqlite3.connect(":memory:", check_same_thread=False)
    db.execute("CREATE TABLE events (svix_id TEXT PRIMARY KEY, type TEXT)")
    lock = threading.Lock()

    def handle(r: Received) -> int:
        if not _verified(r):
            return 400
        with lock:
            try:
                db.execute("INSERT INTO events VALUES (?, ?)", (r.headers["svix-id"], "x"))
            except sqlite3.IntegrityError:
                return 500  # what an unhandled IntegrityError becomes
        return 200

    return handle


def trusts_order() -> Handler:
    """Verifies, but refuses a bounce for an email whose email.sent has not come yet."""
    sent: set[str] = set()

    def handle(r: Received) -> int:
        if not _verified(r):
            return 400
        event = r.json()
        if event["type"] == "email.sent":
            sent.add(event["data"]["email_id"])
        elif event["type"] == "email.bounced" and event["data"]["email_id"] not in sent:
            return 422
        return 200

    return handle


def lets_the_library_error_escape() -> Handler:
    """Catches WebhookVerificationError only; svix raises ValueError for `v1` without a comma."""

    def handle(r: Received) -> int:
        try:
            svix.Webhook(SECRET).verify(r.body, r.headers)
        except svix.WebhookVerificationError:
            return 400
        except ValueError:
            return 500  # the framework's answer to an exception that escaped
        return 200

    return handle


# -- the verdicts ----------------------------------------------------------------------------------


def test_the_correct_receiver_passes_and_processes_only_the_genuine_events() -> None:
    app = App()
    with Receiver(handler=correct(app)) as hook:
        result, report = check(hook.url, "--json")
    assert result.exit_code == 0, result.output
    assert verdicts(report) == ALL_PASS
    assert report["failed"] is False
    # The genuine delivery once (its retry skipped), then the out-of-order pair; no forgery.
    assert app.processed == ["email.delivered", "email.bounced", "email.sent"]


@pytest.mark.parametrize(
    ("mistake", "flagged"),
    [
        pytest.param(
            accepts_any_signature,
            {"tampered-body", "tampered-retry", "wrong-secret", "malformed-signature"},
            id="accepts-any-signature",
        ),
        pytest.param(
            no_timestamp_tolerance,
            {"stale-timestamp", "future-timestamp", "replay"},
            id="no-timestamp-tolerance",
        ),
        # Trusting a known id lets a changed body in, and a replay of that id after the window.
        pytest.param(
            verifies_once_per_id, {"tampered-retry", "replay"}, id="accepts-tampered-body"
        ),
        pytest.param(no_idempotency, {"duplicate"}, id="no-idempotency"),
        pytest.param(trusts_order, {"out-of-order"}, id="trusts-order"),
        pytest.param(lets_the_library_error_escape, {"malformed-signature"}, id="500-on-forgery"),
    ],
)
def test_each_mistake_is_flagged_and_nothing_else(
    mistake: Callable[[], Handler], flagged: set[str]
) -> None:
    with Receiver(handler=mistake()) as hook:
        result, report = check(hook.url, "--json")
    assert result.exit_code == 1, result.output
    assert verdicts(report) == {**ALL_PASS, **dict.fromkeys(flagged, "fail")}


def test_processing_a_retry_twice_cannot_be_seen_and_the_report_says_so() -> None:
    """A receiver that answers a retry 200 and does the work again looks, from outside, exactly
    like one that skips it: the check cannot flag it and lists it instead."""
    processed: list[str] = []

    def twice(r: Received) -> int:
        if not _verified(r):
            return 400
        processed.append(r.headers["svix-id"])
        return 200

    with Receiver(handler=twice) as hook:
        result, report = check(hook.url, "--json")
    assert result.exit_code == 0 and verdicts(report)["duplicate"] == "pass"
    assert processed[0] == processed[1]  # the same delivery processed twice
    unobservable = report["unobservable"]
    assert isinstance(unobservable, list)
    assert any("processed twice" in item for item in unobservable)


def test_the_table_says_what_was_answered_and_what_to_do() -> None:
    with Receiver(handler=no_timestamp_tolerance()) as hook:
        result, _ = check(hook.url)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"webhook-check {hook.url} (resend)"
    assert lines[2].split() == ["check", "status", "verdict", "sent"]
    stale = next(line for line in lines if line.startswith("stale-timestamp"))
    assert stale.split()[1:3] == ["200", "fail"]
    advice = lines[lines.index(stale) + 1]
    assert advice.strip().startswith("-> accepted a timestamp far outside the tolerance")
    assert result.stdout.endswith("3 failed, 7 passed, 0 unknown\n")


def test_the_secret_can_come_from_the_environment() -> None:
    with Receiver(handler=correct(App())) as hook:
        result = CliRunner().invoke(
            main,
            ["webhook-check", hook.url, "--format", "resend"],
            env={"MAILYARD_WEBHOOK_SECRET": SECRET},
        )
    assert result.exit_code == 0, result.output
    assert "0 failed, 10 passed, 0 unknown" in result.stdout


# -- when the check cannot run ---------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["ftp://example.com/hook", "--format", "resend"], "is not an http(s) URL"),
        (["http://127.0.0.1:99999/hook", "--format", "resend"], "port that is not a number"),
        (["http://127.0.0.1:3000/hook", "--format", "resend"], "needs --secret"),
        (
            ["http://127.0.0.1:3000/hook", "--format", "resend", "--secret", "whsec_*not*"],
            "Invalid value for --secret",
        ),
        (["http://127.0.0.1:3000/hook", "--format", "mailgun"], "'mailgun' is not one of"),
    ],
)
def test_bad_input_is_told_plainly(args: list[str], needle: str) -> None:
    result = run_cli("webhook-check", *args)
    assert result.exit_code == 2
    assert needle in result.output
    assert isinstance(result.exception, SystemExit)  # click's usage error, no traceback


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("http://127.0.0.1:{closed}/hook", "connection refused"),
        ("http://receiver.invalid/hook", "the host name does not resolve"),
    ],
    ids=["closed-port", "unresolvable"],
)
def test_an_unreachable_receiver_is_an_error_not_a_report(url: str, needle: str) -> None:
    url = url.format(closed=_closed_port())
    result = run_cli("webhook-check", url, "--format", "resend", "--secret", SECRET)
    assert result.exit_code == 2
    assert f"cannot deliver to {url}: {needle}" in result.output
    assert isinstance(result.exception, SystemExit)  # no traceback


def test_sns_without_a_running_mailyard_says_what_to_do() -> None:
    server = f"http://127.0.0.1:{_closed_port()}"
    result = run_cli(
        "webhook-check", "http://127.0.0.1:3000/sns", "--format", "sns", "--server", server
    )
    assert result.exit_code == 2
    assert f"no mailyard serve is answering at {server}" in result.output
    assert isinstance(result.exception, SystemExit)


def test_top_level_help_lists_the_command() -> None:
    result = run_cli("--help")
    assert "webhook-check" in result.output
