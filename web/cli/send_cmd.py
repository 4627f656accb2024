"""`mailyard send`: render one auth email and deliver it the configured way, or say why not.

With a `mailyard serve` answering (at --server, else this host's --http-port), the send is
handed to it: the server renders and sends through its delivery, so the outcome is in its send
log and on its status page, exactly as an auth endpoint's send would be. With no server, or
with --standalone, this process sends with this shell's settings and keeps no record beyond
the log line (unless --db names a store to write the send log to).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import click
import httpx

from mailyard.web.cli.options import build_settings, check_db, environment_help, settings_options
from mailyard.web.cli.outcome import describe_outcome
from mailyard.web.settings import DELIVERY_MODES, SEND, Settings, defaults

PROBE_TIMEOUT = 0.5


@click.command(
    "send",
    epilog="Provider settings only the environment sets:\n\n" + environment_help(SEND),
)
@click.argument("concept")
@click.option("--to", "recipient", required=True, help="The recipient's address.")
@click.option(
    "--via",
    type=click.Choice(DELIVERY_MODES),
    help="Delivery for this send (default: the server's, or MAILYARD_DELIVERY, else sandbox).",
)
@click.option("--theme", help="A theme JSON file, or a sample theme's name.")
@click.option("--locale", help="The recipient's locale.")
@click.option("--timezone", help="The recipient's time zone.")
@click.option("--var", "pairs", multiple=True, metavar="NAME=VALUE", help="A variable; repeatable.")
@click.option("--context", type=click.Path(dir_okay=False), help="Variables from a JSON file.")
@click.option("--test", is_flag=True, help="Prefix the subject with [TEST].")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@click.option(
    "--server",
    metavar="URL",
    envvar="MAILYARD_SERVER",
    show_envvar=True,
    help="The running mailyard to hand the send to (default: http://HOST:HTTP_PORT).",
)
@click.option(
    "--standalone", is_flag=True, help="Send from this process even if a server is running."
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False),
    help="Standalone only: write the send log to this store (default: no record but the log line).",
)
@settings_options(SEND, skip=("delivery",))
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
    as_json: bool,
    server: str | None,
    standalone: bool,
    db: str | None,
    **flags: Any,
) -> None:
    """Render CONCEPT and send it to --to.

    Unset variables take sample values (links carry test-preview-token-000). A provider without
    its settings takes the email_not_configured path: nothing is sent and the log says so. Real
    providers only mail recipients in MAILYARD_ALLOW_RECIPIENTS (and their own test addresses).
    """
    from mailyard.renderer import ALIASES, CONCEPTS

    if concept not in CONCEPTS and concept not in ALIASES:
        raise click.BadParameter(
            f"unknown concept; one of {', '.join(CONCEPTS)}", param_hint="CONCEPT"
        )
    settings = build_settings(flags)
    check_db(db, "--db")
    variables = _variables(pairs, context)
    theme_fields = _theme_fields(theme)
    if locale or timezone:
        _warn_on_fallbacks(concept, variables, theme, locale, timezone)
    url = (server or _default_server(settings)).rstrip("/")
    if not standalone and _answers(url):
        if db:
            raise click.UsageError("--db is for standalone sends; the server keeps its own log")
        body = {
            "concept": concept,
            "to": recipient,
            **theme_fields,
            "locale": locale,
            "timezone": timezone,
            "variables": variables,
            "test": test,
            "via": via,
            "dryRun": settings.dry_run,
        }
        data = _hand_over(url, {k: v for k, v in body.items() if v is not None})
        data["server"] = url
    else:
        if not standalone and (via or settings.delivery) == "sandbox":
            raise click.ClickException(_no_server(url, settings))
        data = _send_here(
            settings, via, db, concept, recipient, theme, variables, locale, timezone, test
        )
    _report(data, settings, as_json)
    if data.get("outcome") == "failed" or data.get("outcome") == "blocked":
        raise SystemExit(1)


def _default_server(settings: Settings) -> str:
    from mailyard.web.services import sink_host

    host = sink_host(settings.host)
    return f"http://{'[' + host + ']' if ':' in host else host}:{settings.http_port}"


def _no_server(url: str, settings: Settings) -> str:
    """Why a sandbox send cannot go ahead without a server, and the ways to point at one."""
    text = (
        f"no mailyard serve is answering at {url}: start one (mailyard serve), or point at the "
        "one running with --server URL or MAILYARD_HTTP_PORT / --http-port (its web port, "
        "printed when it starts: mailyard ready: ... web and API on ...)"
    )
    if settings.smtp_port != defaults()["smtp_port"]:
        text += (
            f"; MAILYARD_SMTP_PORT / --smtp-port ({settings.smtp_port}) is only used with "
            "--standalone, which sends straight to that SMTP port"
        )
    return text + "; or choose a provider with --via"


def _warn_on_fallbacks(
    concept: str,
    variables: dict[str, Any],
    theme: str | None,
    locale: str | None,
    timezone: str | None,
) -> None:
    """Warn, before sending, of a --locale or --timezone the renderer would not use."""
    from mailyard.renderer import RenderError, render, sample
    from mailyard.web.cli.render_cmd import fallback_warnings, load_theme

    try:
        email = render(
            sample(concept, variables), load_theme(theme), locale=locale, timezone=timezone
        )
    except RenderError:
        return  # the send itself reports it
    for line in fallback_warnings(email.fallbacks):
        click.echo(line, err=True)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=PROBE_TIMEOUT).status_code == 200
    except httpx.HTTPError:
        return False


def _hand_over(url: str, body: dict[str, Any]) -> dict[str, Any]:
    try:
        response = httpx.post(f"{url}/api/v1/outbound", json=body, timeout=120)
    except httpx.HTTPError as exc:
        raise click.ClickException(f"the server at {url} stopped answering: {exc}") from None
    try:
        payload = response.json()
    except ValueError:
        payload = {}
    if response.status_code >= 400 and "error" in payload:
        error = payload["error"]
        where = f" ({error['field']})" if error.get("field") else ""
        raise click.ClickException(f"the server refused the send: {error['message']}{where}")
    data = payload.get("data")
    if not isinstance(data, dict):
        raise click.ClickException(f"the server at {url} answered {response.status_code}")
    return data


def _variables(pairs: tuple[str, ...], context: str | None) -> dict[str, Any]:
    from mailyard.web.cli.render_cmd import vars_from

    return vars_from(pairs, context)


def _theme_fields(value: str | None) -> dict[str, Any]:
    """How the theme travels: a file's fields inline, a sample theme by name."""
    if not value or value in ("default", "builtin"):
        return {}
    path = Path(value)
    if path.exists():
        try:
            fields = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise click.BadParameter(f"cannot read {path}: {exc}", param_hint="--theme") from None
        if not isinstance(fields, dict):
            raise click.BadParameter(f"{path} must hold a JSON object", param_hint="--theme")
        return {"theme": fields}
    return {"themeId": value}


def _send_here(
    settings: Settings,
    via: str | None,
    db: str | None,
    concept: str,
    recipient: str,
    theme: str | None,
    variables: dict[str, Any],
    locale: str | None,
    timezone: str | None,
    test: bool,
) -> dict[str, Any]:
    from mailyard.renderer import RenderError, sample
    from mailyard.sandbox import Redactor, SandboxError
    from mailyard.web import logs
    from mailyard.web.cli.render_cmd import load_theme

    logs.configure(
        "info", redact=Redactor(settings.secrets()), fmt="%(message)s", quiet_http_libraries=True
    )
    try:
        parsed_theme = load_theme(theme)
        email_concept = sample(concept, variables)
        result = asyncio.run(
            _send_async(
                settings, via, db, email_concept, recipient, parsed_theme, locale, timezone, test
            )
        )
    except (RenderError, SandboxError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    return {
        "outcome": result.outcome,
        "provider": result.provider,
        "messageId": result.message_id,
        "subject": result.subject,
        "theme": result.theme,
        "emailConcept": result.concept,
        "reason": result.reason,
        "errorCode": result.error_code,
        "missing": list(result.missing),
        "durationMs": result.duration_ms,
        "attempts": result.attempts,
        "recipient": result.recipient,
    }


async def _send_async(
    settings: Settings,
    via: str | None,
    db: str | None,
    concept: Any,
    recipient: str,
    theme: Any,
    locale: str | None,
    timezone: str | None,
    test: bool,
) -> Any:
    import secrets

    from mailyard.sandbox import Store
    from mailyard.web.outbound import build_mailer, delivery_config
    from mailyard.web.services import sink_host

    config = delivery_config(
        settings, sandbox_host=sink_host(settings.host), sandbox_port=settings.smtp_port, via=via
    )
    async with httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=5.0)) as http:
        if db is None:
            # No store, no per-install key: the recipient's hash is keyed for this run only.
            mailer = build_mailer(
                config, None, http, log_key=secrets.token_bytes(32), log_format=settings.log_format
            )
            return await mailer.send(
                concept, recipient, theme=theme, locale=locale, timezone=timezone, test=test
            )
        with Store(db) as store:
            mailer = build_mailer(config, store, http, log_format=settings.log_format)
            return await mailer.send(
                concept, recipient, theme=theme, locale=locale, timezone=timezone, test=test
            )


def _report(data: dict[str, Any], settings: Settings, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    click.echo(describe_outcome(data, settings), err=data.get("outcome") in ("failed", "blocked"))
