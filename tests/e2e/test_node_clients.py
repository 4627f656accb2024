"""Node clients written for Mailpit, MailHog and Inbucket, unchanged, against the real
`mailyard serve` (issue 14): each file of tests/e2e/node runs under Node's own test runner.

The packages are installed from the npm registry by `.ci/run` (`npm ci --prefix tests/e2e/node`);
the server relays released mail to a second mailyard, and its link check may reach loopback.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.servers import Process, start_process

NODE_DIR = Path(__file__).parent / "node"
FILES = sorted(p.name for p in NODE_DIR.glob("*.test.mjs"))
INSTALL = "npm ci --prefix tests/e2e/node"


@pytest.fixture(scope="module")
def relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    server = start_process(tmp_path_factory.mktemp("relay"))
    yield server
    assert server.stop() == 0, server.output()


@pytest.fixture(scope="module")
def mailyard(tmp_path_factory: pytest.TempPathFactory, relay: Process) -> Iterator[Process]:
    server = start_process(
        tmp_path_factory.mktemp("node-clients"),
        "--allow-internal-http-requests",
        "--relay-host",
        "127.0.0.1",
        "--relay-port",
        str(relay.smtp_port),
        "--relay-tls",
        "none",
        "--allow-recipients",
        "*@example.net",
    )
    yield server
    assert server.stop() == 0, server.output()


@pytest.mark.parametrize("name", FILES)
def test_node_client(mailyard: Process, name: str) -> None:
    node = shutil.which("node")
    assert node, "Node.js is needed for these tests"
    assert (NODE_DIR / "node_modules").is_dir(), f"install the clients first: {INSTALL}"
    result = subprocess.run(
        [node, "--test", "--test-reporter=spec", name],
        cwd=NODE_DIR,
        env={
            **os.environ,
            "MAILYARD_URL": mailyard.url,
            "MAILYARD_SMTP_PORT": str(mailyard.smtp_port),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr + mailyard.output()[-3000:]
