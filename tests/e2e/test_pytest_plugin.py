"""mailyard's pytest plugin as a user runs it: the sample project (its own `web` and `sandbox`
packages, a WSGI app sending from a background thread) under `pytest -n 2`, with a mailyard per
worker and with one shared; the failure messages of tests that fail on purpose; a run that asks
for no fixture starting nothing; and the SES and Resend SDKs pointed at mailyard by `env()`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

import boto3
import httpx
import pytest
import resend
from support.mail import make_message, send
from support.servers import Process

from mailyard.web.testing.inbox import Inbox
from mailyard.web.testing.service import connect_server

SAMPLE = Path(__file__).resolve().parent.parent / "sample_project"
PLUGIN = "mailyard.web.testing.plugin"
SAMPLE_TESTS = 11


def plugin_args() -> list[str]:
    """`-p` the plugin unless its `pytest11` entry point is installed: pytest refuses one module
    registered under two names ("Plugin already registered under a different name")."""
    installed = any(ep.value == PLUGIN for ep in entry_points(group="pytest11"))
    return [] if installed else ["-p", PLUGIN]


def run_pytest(
    folder: Path, tmp: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m pytest` in `folder`, as a user types it, with none of this run's pytest or
    mailyard variables leaking in."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "MAILYARD_")) and k != "COV_CORE_SOURCE"
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", *plugin_args(), "--basetemp", str(tmp), *args],
        cwd=folder,
        env={**clean, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_sample_project_passes_with_a_mailyard_per_worker(tmp_path: Path) -> None:
    done = run_pytest(SAMPLE, tmp_path / "run", "-n", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{SAMPLE_TESTS} passed" in done.stdout
    databases = (tmp_path / "run").glob("*/mailyard0/mailyard.db")
    started = sorted(p.parent.parent.name for p in databases)
    assert started == ["popen-gw0", "popen-gw1"], started


def test_the_sample_project_shares_a_running_mailyard_and_deletes_only_its_mail(
    server: Process, api: httpx.Client, tmp_path: Path
) -> None:
    send(server, make_message(subject="Someone else's", to="neighbour@elsewhere.test"))
    before = api.get("/api/v1/info").json()["RuntimeStats"]["SMTPAccepted"]
    done = run_pytest(
        SAMPLE,
        tmp_path / "run",
        "-n",
        "2",
        "--mailyard-url",
        server.url,
        env={"MAILYARD_SMTP": f"127.0.0.1:{server.smtp_port}"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert not list((tmp_path / "run").glob("*/mailyard*")), "it started a mailyard of its own"
    after = api.get("/api/v1/info").json()["RuntimeStats"]["SMTPAccepted"]
    assert after - before == 10  # every mail the sample sends went through this mailyard
    left = api.get("/api/v1/search", params={"query": "addressed:example.test"}).json()
    assert left["messages_count"] == 0, "the sample's tests left mail behind"
    theirs = api.get("/api/v1/search", params={"query": 'subject:"someone else\'s"'}).json()
    assert theirs["messages_count"] == 1


def test_failures_say_what_arrived_instead(tmp_path: Path) -> None:
    done = run_pytest(SAMPLE, tmp_path / "run", "failing")
    out = done.stdout
    assert done.returncode == 1 and "4 failed" in out, out + done.stderr
    assert "with a subject containing 'welcome aboard' arrived within 1 s." in out
    assert "Mail that arrived during this test (1, oldest first):" in out
    assert "@example.test: 'Reset your password' (mailbox default, id " in out
    assert "[already returned by wait_for]" in out
    assert "UnexpectedMailError: expected no mail to jane+" in out
    assert "No mail at all arrived during this test. Does the app send to mailyard" in out
    # The failure points at the test's line, not into the plugin.
    assert "web/testing/inbox.py" not in out


def test_a_run_that_asks_for_no_fixture_starts_nothing(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pytest.ini").write_text(
        "[pytest]\naddopts = -p no:cacheprovider -p no:benchmark\nfilterwarnings = error\n"
    )
    (project / "test_plain.py").write_text("def test_plain():\n    assert True\n")
    done = run_pytest(project, tmp_path / "run")
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout + done.stderr
    assert not list((tmp_path / "run").rglob("mailyard*"))
    helped = run_pytest(project, tmp_path / "help", "--help")
    for option in ("--mailyard-url=URL", "--mailyard-smtp=HOST:PORT", "--mailyard-keep-mail"):
        assert option in helped.stdout


@pytest.fixture
def inbox(server: Process) -> Iterator[Inbox]:
    connected = connect_server(server.url)  # the SMTP port from /api/v1/info
    yield Inbox.open(connected)
    connected.close()


def test_env_points_the_ses_sdk_into_the_tests_mailbox(
    inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert inbox.server.smtp_port > 0
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name, value in inbox.env().items():
        monkeypatch.setenv(name, value)
    boto3.client("sesv2").send_email(
        FromEmailAddress="app@example.com",
        Destination={"ToAddresses": [inbox.address("jane")]},
        Content={"Simple": {"Subject": {"Data": "Your code"}, "Body": {"Text": {"Data": "123"}}}},
    )
    mail = inbox.wait_for()  # no `to`: the test's mailbox, named by the access key
    assert mail.mailbox == inbox.mailbox and mail.to == [inbox.address("jane")]
    inbox.close()
    assert inbox.server.client.ids(mailbox=inbox.mailbox) == []


def test_env_points_the_resend_sdk_at_mailyard(
    inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(resend, "api_url", inbox.env()["RESEND_API_URL"])
    monkeypatch.setattr(resend, "api_key", "re_plugin_test")
    email = inbox.address("kim")
    resend.Emails.send(
        {"from": "app@example.com", "to": [email], "subject": "Welcome", "text": "Hi"}
    )
    assert inbox.wait_for(to=email, subject="welcome").sender == "app@example.com"
    inbox.close()
