"""What the session's mailyard tells the app under test, and the plugin's import."""

from __future__ import annotations

import json
import subprocess
import sys

from mailyard.web.testing.inbox import Inbox
from mailyard.web.testing.service import MailyardServer


def test_env_points_every_provider_at_mailyard(mail_server: MailyardServer) -> None:
    server = MailyardServer("http://127.0.0.1:8025", "::1", 1025, mail_server.client)
    assert server.env() == {
        "MAILYARD_URL": "http://127.0.0.1:8025",
        "MAILYARD_SMTP": "[::1]:1025",
        "AWS_ENDPOINT_URL_SESV2": "http://127.0.0.1:8025",
        "AWS_ENDPOINT_URL_SES": "http://127.0.0.1:8025",
        "RESEND_BASE_URL": "http://127.0.0.1:8025",
        "RESEND_API_URL": "http://127.0.0.1:8025",
    }
    inbox = Inbox(server)
    assert inbox.env() == {
        **server.env(),
        "AWS_ACCESS_KEY_ID": inbox.mailbox,
        "AWS_SECRET_ACCESS_KEY": "mailyard",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def test_importing_the_plugin_loads_nothing_but_itself() -> None:
    """Every pytest run imports the plugin once mailyard is installed: it must not import
    mailyard's server, httpx, or even its own fixtures' modules until a fixture is used."""
    probe = (
        "import json, sys, pytest\n"
        "before = set(sys.modules)\n"
        "import mailyard.web.testing.plugin\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(done.stdout) == [
        "mailyard",
        "mailyard.web",
        "mailyard.web.testing",
        "mailyard.web.testing.plugin",
    ]
