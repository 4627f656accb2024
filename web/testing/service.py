"""The mailyard a test session uses: one it starts (a `mailyard serve` child process on free
ports, its database in the session's temporary folder) or one already running (a CI service
container), and what to tell the app under test about it.

    server = start_server(folder, [])             # or connect_server("http://mailyard:8025")
    server.http_url, server.smtp_host, server.smtp_port
    app_env = {**os.environ, **server.env()}      # SES, Resend and SMTP pointed at mailyard
    server.close()
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from mailyard.web.testing.cleanup import Cleaner
from mailyard.web.testing.client import MailyardClient
from mailyard.web.testing.errors import ServiceError
from mailyard.web.testing.harness import ServerProcess
from mailyard.web.testing.transport import HttpTransport

START_TIMEOUT = 60.0  # a cold start on a loaded CI machine, with every xdist worker starting one
# Flags before the user's (a later flag wins): loopback only; warnings only, since the log is a
# file nobody reads unless the start fails, and writing a line per message costs time.
SERVE_FLAGS = ("--host", "127.0.0.1", "--log-level", "warning")


@dataclass(frozen=True)
class MailyardServer:
    """Where mailyard listens, a client of its API, and the tests' cleaner."""

    http_url: str
    smtp_host: str
    smtp_port: int
    client: MailyardClient = field(repr=False, compare=False)
    process: ServerProcess | None = field(default=None, repr=False, compare=False)
    cleaner: Cleaner | None = field(default=None, repr=False, compare=False)

    def env(self) -> dict[str, str]:
        """Environment variables that point an app's mail at this mailyard: the SES (v2 and v1)
        and Resend SDKs' endpoints (mailyard serves both APIs on its HTTP port), and
        MAILYARD_URL / MAILYARD_SMTP for anything that looks for mailyard itself (a pytest run
        in a subprocess uses this same server)."""
        host = f"[{self.smtp_host}]" if ":" in self.smtp_host else self.smtp_host
        return {
            "MAILYARD_URL": self.http_url,
            "MAILYARD_SMTP": f"{host}:{self.smtp_port}",
            "AWS_ENDPOINT_URL_SESV2": self.http_url,
            "AWS_ENDPOINT_URL_SES": self.http_url,
            "RESEND_BASE_URL": self.http_url,
            "RESEND_API_URL": self.http_url,
        }

    def close(self) -> None:
        """Finish the cleanups, close the client, and stop the process if it is ours."""
        try:
            if self.cleaner is not None:
                self.cleaner.close()
        finally:
            self.client.close()
            if self.process is not None:
                self.process.stop()


def start_server(folder: Path, args: Sequence[str] = ()) -> MailyardServer:
    """Start `mailyard serve` on free ports with its database in `folder`; extra `args` are
    `mailyard serve` flags (`--sim-rules-file rules.json`)."""
    try:
        process = ServerProcess.start(folder, *SERVE_FLAGS, *args, timeout=START_TIMEOUT)
    except RuntimeError as exc:
        raise ServiceError(f"could not start mailyard for the tests: {exc}") from None
    client = MailyardClient(HttpTransport(process.url))
    return MailyardServer(
        process.url, "127.0.0.1", process.smtp_port, client, process, Cleaner(client)
    )


def connect_server(url: str, smtp: str | None = None) -> MailyardServer:
    """Use the mailyard already running at `url`; its SMTP listener is `smtp` ("host:port"),
    or the port it reports on the URL's host."""
    client = MailyardClient(HttpTransport(url))
    try:
        client.cursor()  # a Mailpit, or anything else, would not answer this
        if smtp:
            host, port = parse_host_port(smtp)
        else:
            host = urlsplit(url).hostname or "127.0.0.1"
            port = int((client.info().get("SMTP") or {}).get("Port") or 0)
            if not port:
                raise ServiceError(
                    f"{url} does not say its SMTP port; give it with --mailyard-smtp host:port"
                )
    except ServiceError:
        client.close()
        raise
    return MailyardServer(url.rstrip("/"), host, port, client, None, Cleaner(client))


def parse_host_port(text: str) -> tuple[str, int]:
    """`host:port` or `[v6]:port`, as --mailyard-smtp and MAILYARD_SMTP give it."""
    host, _, port = text.strip().rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ServiceError(f"--mailyard-smtp / MAILYARD_SMTP: {text!r} is not host:port")
    return host, int(port)
