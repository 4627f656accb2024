"""The `mailyard` command. Each command parses its input and calls the library; nothing more."""

from __future__ import annotations

import click

from mailyard.sandbox.errors import InvalidInputError, SandboxError
from mailyard.web.settings import (
    DEFAULT_HOST,
    DEFAULT_HTTP_PORT,
    DEFAULT_SMTP_PORT,
    Settings,
    parse_duration,
    parse_size,
)


class _Duration(click.ParamType):  # type: ignore[type-arg]
    name = "duration"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, int | float):
            return float(value)
        try:
            return parse_duration(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class _Size(click.ParamType):  # type: ignore[type-arg]
    name = "size"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_size(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def _env(name: str) -> str:
    return "MAILYARD_" + name


@click.group(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.version_option(package_name="mailyard")
def main() -> None:
    """mailyard: a local mail sandbox for the mail auth systems send.

    Every option can also be set with the MAILYARD_* environment variable shown beside it.
    """


@main.command()
@click.option(
    "--host",
    default=DEFAULT_HOST,
    envvar=_env("HOST"),
    show_envvar=True,
    help="Address both listeners bind to. Keep it on loopback unless you need otherwise.",
)
@click.option(
    "--smtp-port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_SMTP_PORT,
    envvar=_env("SMTP_PORT"),
    show_envvar=True,
    help="SMTP port; 0 picks any free port.",
)
@click.option(
    "--http-port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_HTTP_PORT,
    envvar=_env("HTTP_PORT"),
    show_envvar=True,
    help="Web inbox and API port; 0 picks any free port.",
)
@click.option(
    "--db",
    default="mailyard.db",
    envvar=_env("DB"),
    show_envvar=True,
    help="SQLite file; ':memory:' for a throw-away store.",
)
@click.option(
    "--db-sync",
    type=click.Choice(["normal", "full"], case_sensitive=False),
    default="normal",
    envvar=_env("DB_SYNC"),
    show_envvar=True,
    help="normal: an acknowledged message survives a crash of mailyard; "
    "full: also a power loss (slower).",
)
@click.option(
    "--max-messages",
    type=click.IntRange(0),
    default=0,
    envvar=_env("MAX_MESSAGES"),
    show_envvar=True,
    help="Keep at most this many messages, deleting the oldest; 0 keeps all.",
)
@click.option(
    "--max-age",
    type=_Duration(),
    default="0",
    envvar=_env("MAX_AGE"),
    show_envvar=True,
    help="Delete messages older than this (e.g. 12h, 7d); 0 keeps them forever.",
)
@click.option(
    "--smtp-max-size",
    type=_Size(),
    default="50M",
    envvar=_env("SMTP_MAX_SIZE"),
    show_envvar=True,
    help="Largest message accepted (e.g. 10M); bigger ones get 552.",
)
@click.option(
    "--smtp-max-recipients",
    type=click.IntRange(1),
    default=1000,
    envvar=_env("SMTP_MAX_RECIPIENTS"),
    show_envvar=True,
    help="Recipients per message; extra RCPT commands get 452.",
)
@click.option(
    "--smtp-max-connections",
    type=click.IntRange(1),
    default=500,
    envvar=_env("SMTP_MAX_CONNECTIONS"),
    show_envvar=True,
    help="Open SMTP sessions at once; past it a client gets 421 and a close.",
)
@click.option(
    "--smtp-tls-cert",
    type=click.Path(dir_okay=False),
    envvar=_env("SMTP_TLS_CERT"),
    show_envvar=True,
    help="PEM certificate: enables STARTTLS.",
)
@click.option(
    "--smtp-tls-key",
    type=click.Path(dir_okay=False),
    envvar=_env("SMTP_TLS_KEY"),
    show_envvar=True,
    help="PEM private key for --smtp-tls-cert.",
)
@click.option(
    "--smtp-tls-implicit",
    is_flag=True,
    envvar=_env("SMTP_TLS_IMPLICIT"),
    show_envvar=True,
    help="Speak TLS from the first byte (port-465 style) instead of STARTTLS.",
)
@click.option(
    "--smtp-require-tls",
    is_flag=True,
    envvar=_env("SMTP_REQUIRE_TLS"),
    show_envvar=True,
    help="Refuse MAIL until the client has used STARTTLS.",
)
@click.option(
    "--smtp-auth-file",
    type=click.Path(dir_okay=False),
    envvar=_env("SMTP_AUTH_FILE"),
    show_envvar=True,
    help="Accept only the user:password pairs in this file (default: any credentials).",
)
@click.option(
    "--smtp-auth-required",
    is_flag=True,
    envvar=_env("SMTP_AUTH_REQUIRED"),
    show_envvar=True,
    help="Refuse mail from clients that did not AUTH.",
)
@click.option(
    "--ui-auth-file",
    type=click.Path(dir_okay=False),
    envvar=_env("UI_AUTH_FILE"),
    show_envvar=True,
    help="Require these user:password pairs (Basic auth) for the web inbox and the API.",
)
@click.option(
    "--allowed-hosts",
    default="",
    envvar=_env("ALLOWED_HOSTS"),
    show_envvar=True,
    help="More host names the web and API answer to, comma separated. Loopback names always "
    "work; any other Host is refused (DNS rebinding). A --host of 0.0.0.0 answers to any.",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    envvar=_env("LOG_LEVEL"),
    show_envvar=True,
)
def serve(**options: object) -> None:
    """Run the SMTP sink, the web inbox and the JSON API.

    SMTP AUTH names the mailbox a message lands in (default: 'default'); AUTH in clear text is
    only offered on a loopback address.
    """
    from mailyard.web.server import BindError, run

    if bool(options["smtp_tls_cert"]) != bool(options["smtp_tls_key"]):
        raise click.UsageError("--smtp-tls-cert and --smtp-tls-key go together")
    if options["smtp_tls_implicit"] and not options["smtp_tls_cert"]:
        raise click.UsageError("--smtp-tls-implicit needs --smtp-tls-cert and --smtp-tls-key")
    options["db_sync"] = str(options["db_sync"]).upper()
    options["allowed_hosts"] = tuple(
        h.strip() for h in str(options["allowed_hosts"]).split(",") if h.strip()
    )
    settings = Settings(**options)  # type: ignore[arg-type]
    try:
        run(settings)
    except BindError as exc:
        raise click.ClickException(str(exc)) from None
    except InvalidInputError as exc:
        raise click.ClickException(f"{exc} (--{exc.field})" if exc.field else str(exc)) from None
    except SandboxError as exc:
        raise click.ClickException(str(exc)) from None


def _register() -> None:
    from mailyard.web.cli.render import render_command
    from mailyard.web.cli.send import send_command

    main.add_command(render_command)
    main.add_command(send_command)


_register()
