"""mailyard's pytest plugin: assert the mail your app sends, whichever process sends it.

Fixtures:

- `mailyard_server` (session): the mailyard the tests use. By default a `mailyard serve` started
  on free ports with its database in the session's temporary folder, one per xdist worker;
  with `--mailyard-url` (or MAILYARD_URL) one already running, e.g. a CI service container
  (its SMTP port from `--mailyard-smtp host:port` / MAILYARD_SMTP, else from its /api/v1/info).
  Hand `http_url`, `smtp_host`, `smtp_port` or `env()` to the app under test.
- `mailyard` (per test): an `Inbox` (`web.testing.inbox`) that sees only mail that arrived
  during the test: `address()`, `smtp`, `wait_for()`, `assert_no_mail()`, `follow()`. When
  the test ends its own mail is deleted by ID on a cleanup thread (`web.testing.cleanup`),
  which the session waits for before its server goes.

Options: --mailyard-url, --mailyard-smtp, --mailyard-timeout (wait_for's default, 10 s),
--mailyard-serve-arg=FLAG (repeatable, for the started server), --mailyard-keep-mail; ini keys
mailyard_timeout, mailyard_domain (of `address()`, default example.test), mailyard_serve_args.

This module is loaded into every pytest run once mailyard is installed, so importing it does
nothing but define hooks and fixtures: no server starts and nothing heavy is imported until a
test asks for a fixture.

Why one server per xdist worker rather than one shared behind a file lock: a worker that owns
its server also stops it, so no server outlives the run or is stopped under another worker's
feet (a shared one needs reference counting across processes that may crash); the cost is a
start per worker (3-4 s on a busy 2-core machine), paid in parallel. Isolation does not depend
on it: addresses and mailboxes are unique per test, so the tests of all workers can share one
server (`--mailyard-url`) and still never see or delete each other's mail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from mailyard.web.testing.inbox import Inbox
    from mailyard.web.testing.service import MailyardServer

ENV_URL, ENV_SMTP = "MAILYARD_URL", "MAILYARD_SMTP"


@dataclass(frozen=True)
class PluginOptions:
    """The plugin's settings: a flag wins over the environment, which wins over the ini file."""

    url: str | None
    smtp: str | None
    timeout: float | None
    domain: str | None
    serve_args: tuple[str, ...]
    keep_mail: bool

    @classmethod
    def read(cls, config: pytest.Config, environ: Mapping[str, str]) -> PluginOptions:
        timeout = config.getoption("mailyard_timeout") or config.getini("mailyard_timeout")
        try:
            seconds = float(timeout) if timeout not in (None, "") else None
        except ValueError:
            raise pytest.UsageError(f"--mailyard-timeout: {timeout!r} is not a number") from None
        return cls(
            url=config.getoption("mailyard_url") or environ.get(ENV_URL) or None,
            smtp=config.getoption("mailyard_smtp") or environ.get(ENV_SMTP) or None,
            timeout=seconds,
            domain=config.getini("mailyard_domain") or None,
            serve_args=(
                *config.getini("mailyard_serve_args"),
                *config.getoption("mailyard_serve_arg"),
            ),
            keep_mail=bool(config.getoption("mailyard_keep_mail")),
        )


_OPTIONS = pytest.StashKey[PluginOptions]()


def _options(config: pytest.Config) -> PluginOptions:
    if _OPTIONS not in config.stash:
        # The environment is read here, at the plugin's edge, once per run.
        config.stash[_OPTIONS] = PluginOptions.read(config, os.environ)
    return config.stash[_OPTIONS]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mailyard", "mailyard: assert the mail the app under test sends")
    group.addoption(
        "--mailyard-url",
        metavar="URL",
        help=f"use the mailyard running at URL (default: ${ENV_URL}; else start one per worker)",
    )
    group.addoption(
        "--mailyard-smtp",
        metavar="HOST:PORT",
        help=f"its SMTP listener (default: ${ENV_SMTP}, else the port it reports)",
    )
    group.addoption(
        "--mailyard-timeout",
        metavar="SECONDS",
        help="how long wait_for waits unless told (default: 10)",
    )
    group.addoption(
        "--mailyard-serve-arg",
        action="append",
        default=[],
        metavar="FLAG",
        help="a `mailyard serve` argument for the server the plugin starts, repeatable "
        "(--mailyard-serve-arg=--no-auth-service)",
    )
    group.addoption(
        "--mailyard-keep-mail",
        action="store_true",
        default=False,
        help="do not delete a test's mail when it ends",
    )
    parser.addini("mailyard_timeout", "how long wait_for waits unless told (seconds)", default="")
    parser.addini("mailyard_domain", "the domain of mailyard.address() (example.test)", default="")
    parser.addini(
        "mailyard_serve_args", "`mailyard serve` arguments for the started server", type="args"
    )


@pytest.fixture(scope="session")
def mailyard_server(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MailyardServer]:
    """The mailyard of this test session (of this xdist worker, when it starts one)."""
    from mailyard.web.testing.service import connect_server, start_server

    options = _options(pytestconfig)
    if options.url:
        server = connect_server(options.url, options.smtp)
    else:
        server = start_server(tmp_path_factory.mktemp("mailyard"), options.serve_args)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def mailyard(mailyard_server: MailyardServer, pytestconfig: pytest.Config) -> Iterator[Inbox]:
    """The mail that arrives during this test, addresses of its own, and waiting for mail."""
    from mailyard.web.testing.inbox import DEFAULT_TIMEOUT, DOMAIN, Inbox

    options = _options(pytestconfig)
    inbox = Inbox.open(
        mailyard_server,
        timeout=DEFAULT_TIMEOUT if options.timeout is None else options.timeout,
        domain=options.domain or DOMAIN,
        keep_mail=options.keep_mail,
        cleaner=mailyard_server.cleaner,
    )
    try:
        yield inbox
    finally:
        inbox.close()
