"""`mailyard serve` starts without importing what only other commands, or only some requests,
need: the cold start pays for the server, not for the renderer, the providers' SDKs or the
image, metrics and HTML libraries (bench/startup.py times it; this test holds the import set).

A fresh interpreter runs the serve path as `mailyard serve` does: the command line, the
command's module, the server module, then the app's whole start-up (every service opened, as in
the lifespan), and lists what it imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# Loaded on first use only: a send, a render, a page, a thumbnail, a scrape, an HTML-to-text,
# an SNS signature. Each costs 10-90 ms of start-up CPU when imported eagerly.
ON_FIRST_USE = (
    "boto3",
    "botocore",
    "css_inline",
    "babel",
    "inscriptis",
    "lxml",
    "PIL",
    "prometheus_client",
    "cryptography",
    "aiosmtplib",
    "jinja2",
)
OTHER_COMMANDS = ("mailyard.web.cli.render_cmd", "mailyard.web.cli.send_cmd")

SERVE_PATH = """
import sys
import click
from mailyard.web.cli import main

main.get_command(click.Context(main), "serve")
import mailyard.web.server  # what the serve command imports when it runs
from mailyard.web.settings import load_settings
from mailyard.web.testing.inprocess import InProcessServer

server = InProcessServer.start(load_settings({"db": sys.argv[1], "smtp_port": 0}, {}))
try:
    with server.api() as api:
        assert api.get("/readyz").status_code == 200
finally:
    server.stop()
print("\\n".join(sorted(sys.modules)))
"""


def _serve_imports(tmp_path: Path) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", SERVE_PATH, str(tmp_path / "mailyard.db")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


def _loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return [n for n in names if any(m == n or m.startswith(n + ".") for m in modules)]


def test_serve_does_not_import_the_other_commands(tmp_path: Path) -> None:
    modules = _serve_imports(tmp_path)
    assert "mailyard.web.server" in modules  # the path was really taken
    assert _loaded(modules, OTHER_COMMANDS) == []


def test_serve_loads_heavy_libraries_only_when_first_needed(tmp_path: Path) -> None:
    modules = _serve_imports(tmp_path)
    assert "mailyard.web.server" in modules
    assert _loaded(modules, ON_FIRST_USE) == []
