"""`mailyard serve`: the SMTP sink, the web inbox and the JSON API, until Ctrl-C."""

from __future__ import annotations

from typing import Any

import click

from mailyard.web.cli.options import build_settings, check_db, environment_help, settings_options
from mailyard.web.settings import SERVE


@click.command("serve", epilog="Set only by the environment:\n\n" + environment_help(SERVE))
@settings_options(SERVE)
def serve_command(**flags: Any) -> None:
    """Run the SMTP sink, the web inbox and the JSON API.

    SMTP AUTH names the mailbox a message lands in (default: 'default'); AUTH in clear text is
    only offered on a loopback address. Port 0 picks any free port; the ports bound are printed.
    """
    from mailyard.sandbox import InvalidInputError, SandboxError
    from mailyard.web.server import BindError, run

    settings = build_settings(flags)
    check_db(settings.db, "--db / MAILYARD_DB")
    try:
        run(settings)
    except BindError as exc:
        raise click.ClickException(str(exc)) from None
    except InvalidInputError as exc:
        raise click.ClickException(f"{exc} (--{exc.field})" if exc.field else str(exc)) from None
    except SandboxError as exc:
        raise click.ClickException(str(exc)) from None
