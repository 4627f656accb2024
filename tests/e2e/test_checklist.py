"""`mailyard checklist` as a user runs it, against a real `mailyard serve` over the wire."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.servers import Process, start_process


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:  # type: ignore[override]
    srv = start_process(tmp_path_factory.mktemp("checklist"), "--clock-control")
    yield srv
    code = srv.stop()
    assert code == 0, srv.output()


def checklist(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailyard.web", "checklist", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)},
        cwd=cwd,
    )


def test_the_checklist_passes_against_the_built_in_service(server: Process, tmp_path: Path) -> None:
    # Its speed (the 3 s) is measured by bench/plugin.py, not asserted here.
    done = checklist("--server", server.url, "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is True
    by_key = {c["key"]: c for c in report["checks"]}
    assert by_key["expiry"]["status"] == "pass"  # --clock-control: the clock was moved
    assert by_key["reset-link"]["message"]["subject"]


def test_the_table_is_for_people(server: Process, tmp_path: Path) -> None:
    done = checklist("--server", server.url, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "  1  PASS     Project Auth is enabled" in done.stdout
    assert "\nPASS: " in done.stdout


def test_not_configured_fails_at_step_4_with_exit_status_1(tmp_path: Path) -> None:
    srv = start_process(tmp_path, "--delivery", "auto")
    try:
        done = checklist("--server", srv.url, "--timeout", "2", cwd=tmp_path)
    finally:
        assert srv.stop() == 0
    assert done.returncode == 1, done.stdout + done.stderr
    assert "  4  FAIL     The backend does not log email_not_configured" in done.stdout
    assert "first failure: step 4" in done.stdout
    assert "RESEND_API_KEY" in done.stdout


def test_the_admin_token_is_printed_before_the_ready_line(server: Process) -> None:
    output = server.output()
    token_line = output.index("admin token ")
    assert token_line < output.index("mailyard ready:")


def test_no_server_is_explained(tmp_path: Path) -> None:
    done = checklist("--server", "http://127.0.0.1:9", cwd=tmp_path)
    assert done.returncode != 0
    assert "no mailyard serve is answering at http://127.0.0.1:9" in done.stderr
