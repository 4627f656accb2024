"""Starting mailyard for a test: in this process (the default tier) or as a child process (e2e).

Both take `mailyard serve`'s own flags, parsed by the CLI's own options, so a test reads like the
command a user would type.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import httpx

from mailyard.sandbox import Clock
from mailyard.web.cli.serve import serve_command
from mailyard.web.settings import Settings, load_settings
from mailyard.web.testing.harness import ServerProcess
from mailyard.web.testing.inprocess import InProcessServer


def settings_from_args(tmp: Path, *args: str, env: dict[str, str] | None = None) -> Settings:
    """Settings as `mailyard serve --smtp-port 0 --db <tmp>/mailyard.db ARGS` would build them."""
    argv = ["--smtp-port", "0", "--http-port", "0", "--db", str(tmp / "mailyard.db"), *args]
    context = serve_command.make_context("serve", argv)
    return load_settings(context.params, env or {})


def start_inprocess(
    tmp: Path, *args: str, env: dict[str, str] | None = None, clock: Clock | None = None
) -> InProcessServer:
    """mailyard in this process, configured by `serve` flags (and `env` instead of os.environ)."""
    return InProcessServer.start(settings_from_args(tmp, *args, env=env), clock=clock)


class Process(ServerProcess):
    """A `mailyard serve` child process with a client at hand."""

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10)

    def at(self, path: str = "/", **params: str) -> str:
        """The address of `path` on this server, with `params` as its query (for a browser)."""
        return self.url + path + ("?" + urlencode(params) if params else "")


def start_process(
    tmp: Path, *args: str, db: Path | None = None, env: dict[str, str] | None = None
) -> Process:
    """Start `mailyard serve` on free ports and wait (bounded) for its ready line."""
    return Process.start(tmp, *args, db=db, env=env)
