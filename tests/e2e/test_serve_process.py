"""`mailyard serve` as a process: busy ports, signals, and shutdown with requests in flight."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from support.servers import start_process

from mailyard.sandbox import listen


def run_cli(*args: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailyard.web", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ),
    )


def test_busy_port_is_a_one_line_error_without_traceback(tmp_path: Path) -> None:
    busy = listen("127.0.0.1", 0)
    port = busy.getsockname()[1]
    try:
        result = run_cli(
            "serve", "--smtp-port", str(port), "--http-port", "0", "--db", str(tmp_path / "x.db")
        )
    finally:
        busy.close()
    assert result.returncode != 0
    assert f"cannot listen for SMTP on 127.0.0.1:{port}" in result.stderr
    assert "--smtp-port 0" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_serves_on_asyncios_loop_even_where_uvloop_is_installed(tmp_path: Path) -> None:
    """uvicorn runs on uvloop whenever it can import it (uvicorn[standard] installs it), and on
    uvloop the webhook client's connections failed and closed at once. mailyard asks for
    asyncio's loop: a uvloop that refuses to make a loop must not stop it serving."""
    fake = tmp_path / "site" / "uvloop"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(
        "def new_event_loop():\n    raise RuntimeError('mailyard asked uvloop for its loop')\n"
    )
    path = os.pathsep.join(p for p in (str(fake.parent), os.environ.get("PYTHONPATH")) if p)
    srv = start_process(tmp_path, env={"PYTHONPATH": path})
    try:
        assert httpx.get(srv.url + "/readyz", timeout=10).status_code == 200
    finally:
        assert srv.stop(signal.SIGTERM) == 0
    assert "uvloop" not in srv.output()


def test_a_server_started_by_the_harness_stops_when_its_parent_is_killed(tmp_path: Path) -> None:
    """A CI timeout kills pytest with SIGTERM or SIGKILL; the server its plugin started must
    not live on, adopted by init, holding its ports (found by a CI user's audit)."""
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from pathlib import Path\n"
            "from mailyard.web.testing.harness import ServerProcess\n"
            "server = ServerProcess.start(Path(sys.argv[1]))\n"
            "print(server.process.pid, flush=True)\n"
            "time.sleep(600)\n",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    with parent.stdout:
        server_pid = int(parent.stdout.readline())
    parent.kill()
    parent.wait(timeout=10)
    deadline = time.monotonic() + 20
    while _alive(server_pid):
        assert time.monotonic() < deadline, "the server outlived its killed parent"
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by init) counts as gone.
    with contextlib.suppress(OSError):
        if Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z"):
            return False
    return True


def test_sigterm_shuts_down_cleanly(tmp_path: Path) -> None:
    srv = start_process(tmp_path)
    assert srv.stop(signal.SIGTERM) == 0
    assert "mailyard stopped" in srv.output()
    assert "Traceback" not in srv.output()


def test_a_second_ctrl_c_stops_at_once_without_a_traceback(tmp_path: Path) -> None:
    srv = start_process(tmp_path)
    srv.process.send_signal(signal.SIGINT)
    # Once the first is being handled (the HTTP port closes first), ask again: uvicorn's forced
    # exit, which cancels the app's shutdown half-way.
    with httpx.Client(base_url=f"http://127.0.0.1:{srv.http_port}", timeout=2) as client:
        for _ in range(500):
            try:
                client.get("/livez")
            except httpx.TransportError:
                break
    srv.process.send_signal(signal.SIGINT)
    assert srv.stop() == 0
    assert "mailyard stopped" in srv.output()
    assert "Traceback" not in srv.output()


def test_shutdown_ends_pending_long_polls_at_once(tmp_path: Path) -> None:
    srv = start_process(tmp_path)
    outcome: dict[str, object] = {}
    waiting = threading.Event()

    class Watch(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            waiting.set()  # the request is on the wire
            return super().handle_request(request)

    def poll() -> None:
        try:
            with httpx.Client(transport=Watch(), timeout=60) as client:
                response = client.get(
                    srv.url + "/api/v1/messages/wait", params={"timeout": 120, "after": "0"}
                )
            outcome["status"] = response.status_code
        except httpx.HTTPError as exc:  # the connection may close instead; either is prompt
            outcome["status"] = type(exc).__name__

    waiter = threading.Thread(target=poll)
    waiter.start()
    assert waiting.wait(10)
    with srv.api() as api:  # the server has taken the poll once it answers the next request
        assert api.get("/livez").status_code == 200
    assert srv.stop() == 0
    waiter.join(timeout=15)
    assert not waiter.is_alive()
    assert outcome["status"] in (503, "RemoteProtocolError", "ReadError")


def test_each_received_message_is_one_log_line_unless_quiet(tmp_path: Path) -> None:
    import smtplib

    lines = {}
    for name, args in (("default", ()), ("quiet", ("--quiet",))):
        folder = tmp_path / name
        folder.mkdir()
        srv = start_process(folder, *args)
        with smtplib.SMTP("127.0.0.1", srv.smtp_port, timeout=10) as smtp:
            smtp.sendmail("app@example.com", ["jane@example.com"], b"Subject: Hi\r\n\r\nBody\r\n")
        with srv.api() as api:  # stored (and so published) before the 250
            assert api.get("/api/v1/messages").json()["total"] == 1
        assert srv.stop() == 0
        lines[name] = [ln for ln in srv.output().splitlines() if "message.received" in ln]
    (line,) = lines["default"]
    assert "INFO mailyard.received: event=message.received id=" in line
    assert "mailbox=default via=smtp from=app@example.com to=1 size=" in line
    assert line.endswith('subject="Hi"')
    assert lines["quiet"] == []
