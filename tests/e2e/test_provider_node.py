"""The Node SDKs against the real `mailyard serve` (issue 12): the AWS SDK for JavaScript v3
(`@aws-sdk/client-sesv2`, `@aws-sdk/client-ses`), nodemailer's SES transport and the Resend
Node SDK, each unchanged, under Node's own test runner (tests/e2e/node/*.provider.mjs).

The packages are in tests/e2e/node/package.json, installed by `npm ci --prefix tests/e2e/node`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from support.servers import Process

NODE_DIR = Path(__file__).parent / "node"
FILES = sorted(p.name for p in NODE_DIR.glob("*.provider.mjs"))
INSTALL = "npm ci --prefix tests/e2e/node"


@pytest.mark.parametrize("name", FILES)
def test_node_sdks(server: Process, name: str) -> None:
    node = shutil.which("node")
    assert node, "Node.js is needed for these tests"
    assert (NODE_DIR / "node_modules").is_dir(), f"install the SDKs first: {INSTALL}"
    result = subprocess.run(
        [node, "--test", "--test-reporter=spec", name],
        cwd=NODE_DIR,
        env={**os.environ, "MAILYARD_URL": server.url},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
