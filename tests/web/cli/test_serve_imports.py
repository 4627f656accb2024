"""`mailyard serve` starts without importing what only other commands, or only some requests,
need: the cold start pays for the server, not for the renderer, the providers' SDKs or the
image, metrics and HTML libraries (bench/startup.py times it; this test holds the import set).

A fresh interpreter runs the serve path as `mailyard serve` does: the command line, the
command's module, the server module, then the app's whole start-up (every service opened, as in
the lifespan) and a `/readyz` request, and lists what it imported. The app is driven over ASGI
directly: a test harness would bring imports of its own (httpx)."""

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
    # the outbound client (made on first use: web.outbound.OutboundClient) and what it pulls in
    "httpx",
    "httpcore",
    "trio",
    "rich",
    "mailyard.sandbox.mail.htmlcheck",
    "mailyard.sandbox.mail.linkcheck",
    # the mail reader (MIME tree, charsets, HTML to text): the first message or event
    "mailyard.sandbox.mail",
    # the search stack (Unicode regexes): the first message, listing, search or long poll
    "mailyard.sandbox.store.search",
    "mailyard.sandbox.store.search_index",
    "mailyard.sandbox.store.search_dates",
    "mailyard.sandbox.store.search_plan",
    # the renderer (templates, catalogues, themes): the first auth email or theme
    "mailyard.renderer.concepts",
    "mailyard.renderer.content",
    "mailyard.renderer.i18n",
    "mailyard.renderer.images",
    "mailyard.renderer.message",
    "mailyard.renderer.render",
    "mailyard.renderer.samples",
    "mailyard.renderer.themes",
    "markupsafe",
    # the reference auth service (its flows, tenants, outbox): its first request (web.auth)
    "mailyard.sandbox.auth.service",
    "mailyard.sandbox.auth.flows",
    "mailyard.sandbox.auth.invitations",
    "mailyard.sandbox.auth.parts",
    "mailyard.sandbox.auth.tenants",
    "mailyard.sandbox.auth.history",
    "mailyard.sandbox.auth.passwords",
    "mailyard.sandbox.auth.outbox",
    "mailyard.sandbox.auth.links",
    "mailyard.sandbox.store.tenants",
    # Mailpit's chaos triggers: only when --chaos-triggers is given
    "mailyard.sandbox.simulate.chaos",
    # standard library modules only a request or an event of ours needs: importlib.metadata
    # (the version, with csv and email.policy), tomllib (a rules file), zoneinfo (a query's
    # zone), difflib (a mistyped zone); and those we no longer use: xml.sax (with
    # urllib.request) for SES v1's escaping, statistics (with fractions, decimal) for a median
    "importlib.metadata",
    "csv",
    "email.policy",
    "tomllib",
    "zoneinfo",
    "difflib",
    "xml",
    "urllib.request",
    "statistics",
    "decimal",
    "fractions",
)
# Handler modules, imported on their first request (web.lazy); one of each kind of route.
HANDLER_MODULES = (
    "mailyard.web.api.checks",
    "mailyard.web.api.message",
    "mailyard.web.api.webhook_check",
    "mailyard.web.emulate.ses_v1",
    "mailyard.web.emulate.resend_api",
    "mailyard.web.auth.admin",
    "mailyard.web.ui.pages",
    "mailyard.web.ui.message_page",
    "mailyard.web.api.events_ws",
)
OTHER_COMMANDS = ("mailyard.web.cli.render_cmd", "mailyard.web.cli.send_cmd")

SERVE_PATH = """
import asyncio
import sys
import click
from mailyard.web.cli import main

main.get_command(click.Context(main), "serve")
import mailyard.web.server  # what the serve command imports when it runs
from mailyard.web.app import create_app
from mailyard.web.settings import load_settings

app = create_app(load_settings({"db": sys.argv[1], "smtp_port": 0}, {}))


async def readyz(state):
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": "/readyz", "raw_path": b"/readyz", "root_path": "",
        "query_string": b"", "headers": [(b"host", b"127.0.0.1")], "state": state,
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8025),
    }
    await app(scope, receive, send)
    return sent[0]["status"]


async def start():
    async with app.router.lifespan_context(app) as state:
        assert await readyz(state) == 200


asyncio.run(start())
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


def test_serve_imports_a_handler_module_on_its_first_request(tmp_path: Path) -> None:
    modules = _serve_imports(tmp_path)
    assert "mailyard.web.api.info" in modules  # /readyz's, asked for
    assert _loaded(modules, HANDLER_MODULES) == []
