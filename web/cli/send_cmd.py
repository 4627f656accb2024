"""`mailyard send`: render one auth email and deliver it the configured way, or say why not."""

from __future__ import annotations

import asyncio
import json
import logging
import sys

import click

from mailyard.renderer import CONCEPTS, Concept, RenderError, Theme
from mailyard.renderer.concepts import ALIASES
from mailyard.sandbox.errors import SandboxError
from mailyard.sandbox.outbound.mailer import SendResult
from mailyard.sandbox.outbound.routing import MODES, DeliveryConfig
from mailyard.sandbox.store import Store
from mailyard.web.cli.render import load_theme, vars_from
from mailyard.web.delivery import build_mailer, config_from_env


@click.command("send")
@click.argument("concept")
@click.option("--to", "recipient", required=True, help="The recipient's address.")
@click.option(
    "--via",
    type=click.Choice([m for m in MODES if m != "auto"] + ["auto"]),
    help="Delivery for this send (default: MAILYARD_DELIVERY, else sandbox).",
)
@click.option("--theme", help="A theme JSON file, or a sample theme's name (fixtures/themes).")
@click.option("--locale", help="The recipient's locale.")
@click.option("--timezone", help="The recipient's time zone.")
@click.option("--var", "pairs", multiple=True, metavar="NAME=VALUE", help="A variable; repeatable.")
@click.option("--context", type=click.Path(dir_okay=False), help="Variables from a JSON file.")
@click.option("--test", is_flag=True, help="Prefix the subject with [TEST].")
@click.option(
    "--dry-run", is_flag=True, envvar="MAILYARD_DRY_RUN", help="Render and log; send nothing."
)
@click.option(
    "--db",
    default="mailyard.db",
    envvar="MAILYARD_DB",
    show_default=True,
    show_envvar=True,
    help="Where the send log is kept.",
)
@click.option(
    "--log-format",
    type=click.Choice(["kv", "json"]),
    default="kv",
    envvar="MAILYARD_LOG_FORMAT",
    show_default=True,
    show_envvar=True,
    help="The send-log line's format.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
def send_command(
    concept: str,
    recipient: str,
    via: str | None,
    theme: str | None,
    locale: str | None,
    timezone: str | None,
    pairs: tuple[str, ...],
    context: str | None,
    test: bool,
    dry_run: bool,
    db: str,
    log_format: str,
    as_json: bool,
) -> None:
    """Render CONCEPT and send it to --to.

    Providers come from the environment: RESEND_API_KEY and RESEND_FROM_APP_AUTH for Resend;
    BLUAUTH_SES_FROM_ADDRESS, BLUAUTH_SES_CONFIGURATION_SET and AWS's usual variables for SES;
    MAILYARD_RELAY_HOST/PORT/USER/PASSWORD/TLS for an SMTP relay; sandbox sends to a running
    `mailyard serve` (MAILYARD_HOST, MAILYARD_SMTP_PORT). A provider without its settings takes
    the email_not_configured path: nothing is sent and the log says so. Real providers only mail
    recipients in MAILYARD_ALLOW_RECIPIENTS (and the providers' own test addresses).
    """
    from mailyard.renderer.samples import sample

    if concept not in CONCEPTS and concept not in ALIASES:
        raise click.BadParameter(
            f"unknown concept; one of {', '.join(CONCEPTS)}", param_hint="CONCEPT"
        )
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("botocore").setLevel(logging.WARNING)  # its DEBUG logs carry headers
    try:
        parsed_theme = load_theme(theme)
        email_concept = sample(concept, vars_from(pairs, context))
    except RenderError as exc:
        raise click.ClickException(str(exc)) from None
    config = config_from_env(dry_run=dry_run or None, mode=via)
    try:
        result = asyncio.run(
            _send(
                config,
                db,
                via,
                log_format,
                email_concept,
                recipient,
                parsed_theme,
                locale,
                timezone,
                test,
            )
        )
    except (ValueError, RenderError, SandboxError) as exc:
        raise click.ClickException(str(exc)) from None
    _report(result, as_json)
    if not result.ok:
        raise SystemExit(1)


async def _send(
    config: DeliveryConfig,
    db: str,
    via: str | None,
    log_format: str,
    concept: Concept,
    recipient: str,
    theme: Theme | None,
    locale: str | None,
    timezone: str | None,
    test: bool,
) -> SendResult:
    with Store(db) as store:
        mailer = build_mailer(config, store, via=via, log_format=log_format)
        return await mailer.send(
            concept, recipient, theme=theme, locale=locale, timezone=timezone, test=test
        )


def _report(result: SendResult, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    if result.outcome == "sent":
        click.echo(
            f"sent via {result.provider}: message id {result.message_id} "
            f"({result.duration_ms:.0f} ms, {result.attempts} attempt(s))"
        )
    elif result.outcome == "skipped":
        click.echo(
            f"not sent: {result.reason} ({result.provider} needs {', '.join(result.missing)}); "
            "tokens and the calling endpoint are unaffected"
        )
    elif result.outcome == "dry_run":
        click.echo(f"dry run: rendered {result.subject!r} for {result.provider}, nothing sent")
    else:
        click.echo(f"not sent ({result.outcome}): {result.error_code}: {result.reason}", err=True)
