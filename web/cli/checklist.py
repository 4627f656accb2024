"""`mailyard checklist`: the spec's verification checklist against an auth service, and the
checks teams get wrong; a pass/fail table (or --json), exit status 1 when a check fails.

It finds the running mailyard as `mailyard send` does (--server, else this host's
MAILYARD_HTTP_PORT) and checks its built-in auth service, or any service given with --auth-url
whose mail reaches that mailyard. The work is `sandbox.checklist`; this parses the options.
"""

from __future__ import annotations

import asyncio
import json
import time

import click
import httpx

from mailyard.sandbox import Checklist, ChecklistReport, ChecklistTarget, Clock
from mailyard.web.cli.options import (
    build_settings,
    json_report_option,
    server_option,
    timeout_option,
)
from mailyard.web.cli.send_cmd import _answers, _default_server
from mailyard.web.settings import parse_duration


def _duration(value: str) -> float:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--reset-ttl") from None


@click.command("checklist")
@server_option("The running mailyard the mail reaches (default: http://HOST:HTTP_PORT).")
@click.option(
    "--auth-url",
    metavar="URL",
    help="Check this auth service ({AUTH_URL}, e.g. https://app.example.com/auth) instead of "
    "the built-in one; its mail must reach the mailyard at --server.",
)
@click.option("--signup-path", default="/signup", show_default=True)
@click.option("--reset-path", default="/password-reset", show_default=True)
@click.option("--confirm-path", default="/password-reset/confirm", show_default=True)
@click.option("--email-field", default="email", show_default=True, help="JSON name of the email.")
@click.option(
    "--password-field", default="password", show_default=True, help="JSON name at signup."
)
@click.option("--token-field", default="token", show_default=True, help="JSON name at confirm.")
@click.option(
    "--new-password-field", default="password", show_default=True, help="JSON name at confirm."
)
@click.option(
    "--public-url",
    metavar="URL",
    help="The app's public URL its links must use (default: the built-in service's own, else "
    "the auth URL's origin).",
)
@click.option(
    "--production", is_flag=True, help="Links must also be https and not on a local host."
)
@click.option("--email", help="The test user's address (default: a new one each run).")
@click.option(
    "--mailbox",
    help="Read mail of this mailyard mailbox only (default: every mailbox; mail sent through "
    "the SES emulation is in the access key id's, through Resend in resend-<hash>).",
)
@click.option(
    "--reset-subject",
    help="A word of the reset email's subject, if it is not 'reset' or 'password'.",
)
@timeout_option(300, "Seconds to wait for each email.")
@click.option(
    "--samples",
    type=click.IntRange(5, 500),
    default=20,
    show_default=True,
    help="Reset calls per kind of address for the enumeration check.",
)
@click.option(
    "--reset-ttl",
    default="1h",
    show_default=True,
    help="The reset link's lifetime at --auth-url (the built-in service says its own).",
)
@json_report_option()
def checklist_command(
    server: str | None,
    auth_url: str | None,
    signup_path: str,
    reset_path: str,
    confirm_path: str,
    email_field: str,
    password_field: str,
    token_field: str,
    new_password_field: str,
    public_url: str | None,
    production: bool,
    email: str | None,
    mailbox: str | None,
    reset_subject: str | None,
    timeout: float,
    samples: int,
    reset_ttl: str,
    as_json: bool,
) -> None:
    """Run the spec's verification checklist against an auth service.

    The six steps - auth enabled, signup, password reset, no email_not_configured, the
    provider accepted it, the link reached the inbox and its token works once - then the
    checks teams get wrong: link host and scheme, link-scanner prefetch, expiry, plain-text
    part, HTML checks, account enumeration. Exit status 1 when a check fails.

    A 429 the service answers with a Retry-After of up to 10 s is waited out and asked again.
    Against the built-in service with --clock-control, the expiry check moves that mailyard's
    clock forward by the reset link's lifetime plus one second (an hour by default), for good:
    other tests sharing that server see their delays and held deliveries released.
    """
    url = (server or _default_server(build_settings({}))).rstrip("/")
    if not _answers(url):
        raise click.ClickException(
            f"no mailyard serve is answering at {url}: start one (mailyard serve), or point "
            "at it with --server or MAILYARD_HTTP_PORT"
        )
    try:
        target = ChecklistTarget(
            mailyard_url=url,
            auth_url=auth_url,
            signup_path=signup_path,
            reset_path=reset_path,
            confirm_path=confirm_path,
            email_field=email_field,
            password_field=password_field,
            token_field=token_field,
            new_password_field=new_password_field,
            public_url=public_url,
            production=production,
            email=email,
            mailbox=mailbox,
            timeout=timeout,
            samples=samples,
            reset_ttl=_duration(reset_ttl),
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    report = asyncio.run(_run(target, reset_subject))
    click.echo(json.dumps(report.as_json(), ensure_ascii=False) if as_json else report.table())
    if not report.ok:
        raise SystemExit(1)


async def _run(target: ChecklistTarget, reset_subject: str | None) -> ChecklistReport:
    timeouts = httpx.Timeout(target.timeout + 15, connect=5.0)
    async with httpx.AsyncClient(timeout=timeouts) as http:
        checklist = Checklist(
            target, http, clock=Clock(), timer=time.perf_counter, reset_subject=reset_subject
        )
        return await checklist.run()
