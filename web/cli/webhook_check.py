"""`mailyard webhook-check URL --format resend|sns`: what a webhook receiver wrongly accepts.

Sends the receiver a genuine event, then tampered, stale, replayed, wrongly signed and duplicate
copies and an out-of-order pair, and prints a table of what it answered and whether that was
right (`sandbox.webhooks.receiver_check` does the work). Exit status: 0 all well, 1 the receiver
got something wrong, 2 the check could not run (bad input, receiver or server unreachable).

Resend format: signed here with the receiver's `whsec_` secret. SNS format: signed with the
running mailyard's SNS key, so the receiver must trust mailyard's certificate URL (the one its
real SNS deliveries name); the server runs the probes (`POST /api/v1/webhooks/check`).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from typing import Any
from urllib.parse import urlsplit

import click
import httpx

from mailyard.sandbox import InvalidInputError, ReceiverReport, SvixTarget, check_receiver
from mailyard.web.cli.options import (
    build_settings,
    json_report_option,
    server_option,
    timeout_option,
)
from mailyard.web.cli.send_cmd import _answers, _default_server


class CheckNotRunError(click.ClickException):
    """The check could not run: exit status 2, apart from 1 (the receiver got it wrong)."""

    exit_code = 2


def _receiver_url(ctx: click.Context, param: click.Parameter, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(
            f"{value!r} is not an http(s) URL; give the full address your app receives webhooks "
            "at, e.g. http://127.0.0.1:3000/webhooks/resend",
            ctx,
            param,
        )
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when asked
    except ValueError:
        raise click.BadParameter(f"{value!r} has a port that is not a number", ctx, param) from None
    return value


@click.command("webhook-check")
@click.argument("url", callback=_receiver_url)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["resend", "sns"]),
    required=True,
    help="resend: Svix-signed Resend events. sns: SES events in signed SNS envelopes.",
)
@click.option(
    "--secret",
    envvar="MAILYARD_WEBHOOK_SECRET",
    show_envvar=True,
    help="resend: the whsec_ signing secret the receiver verifies with.",
)
@server_option("sns: the running mailyard whose SNS key signs (default: http://HOST:HTTP_PORT).")
@click.option(
    "--topic-arn",
    metavar="ARN",
    help="sns: the topic the receiver expects (default: that of the SNS webhook registered for "
    "URL, else arn:aws:sns:us-east-1:123456789012:mailyard-webhook-check).",
)
@click.option(
    "--signature-version",
    type=click.Choice(["1", "2"]),
    default="1",
    show_default=True,
    help="sns: SignatureVersion 1 (SHA1withRSA) or 2 (SHA256withRSA).",
)
@timeout_option(30, "Seconds the receiver has to answer each request.")
@json_report_option()
def webhook_check_command(
    url: str,
    fmt: str,
    secret: str | None,
    server: str | None,
    topic_arn: str | None,
    signature_version: str,
    timeout: float,
    as_json: bool,
) -> None:
    """Send a webhook receiver forged, stale, replayed and duplicate events; report which it
    wrongly accepted.

    For sns the receiver must trust mailyard's certificate URL
    (http://HOST:HTTP_PORT/_sns/SimpleNotificationService-mailyard.pem) and nothing else of
    mailyard's. Exit status 1 when the receiver got a check wrong, 2 when the check could not run.
    """
    if fmt == "resend":
        report = _resend(url, secret, timeout)
    else:
        base = (server or _default_server(build_settings({}))).rstrip("/")
        report = _sns(base, url, topic_arn, signature_version, timeout)
    if report.unreachable is not None:
        raise CheckNotRunError(
            f"cannot deliver to {url}: {report.unreachable}. Is the app running, and is this "
            "the address it receives webhooks at?"
        )
    if as_json:
        click.echo(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        click.echo(report.table(), nl=False)
    if report.failed:
        raise SystemExit(1)


def _resend(url: str, secret: str | None, timeout: float) -> ReceiverReport:
    if not secret:
        raise click.UsageError(
            "--format resend needs --secret: the whsec_ secret your receiver verifies with "
            "(or set MAILYARD_WEBHOOK_SECRET)"
        )
    try:
        target = SvixTarget(secret)
    except InvalidInputError as exc:
        raise click.BadParameter(str(exc), param_hint="--secret") from None

    async def run() -> ReceiverReport:
        async with httpx.AsyncClient(follow_redirects=False) as client:
            # The real time: the receiver compares svix-timestamp with its own clock.
            return await check_receiver(
                client, url, target, now=time.time(), rng=random.Random(), timeout=timeout
            )

    return asyncio.run(run())


def _sns(
    server: str, url: str, topic_arn: str | None, version: str, timeout: float
) -> ReceiverReport:
    if not _answers(server):
        raise CheckNotRunError(
            f"--format sns signs with the running mailyard's SNS key, and no mailyard serve is "
            f"answering at {server}: start one (mailyard serve), or point at it with --server"
        )
    body: dict[str, Any] = {
        "url": url,
        "format": "sns",
        "signatureVersion": version,
        "timeout": timeout,
    }
    if topic_arn is not None:
        body["topicArn"] = topic_arn
    # At most two requests per probe, each with its timeout, and the server's own work.
    budget = httpx.Timeout(30 * timeout + 30, connect=5.0)
    try:
        response = httpx.post(f"{server}/api/v1/webhooks/check", json=body, timeout=budget)
    except httpx.HTTPError as exc:
        raise CheckNotRunError(f"the server at {server} stopped answering: {exc}") from None
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if response.status_code != 200 or not isinstance(payload, dict):
        error = payload.get("error") if isinstance(payload, dict) else None
        message = error.get("message") if isinstance(error, dict) else response.text[:200]
        raise CheckNotRunError(f"the server at {server} refused the check: {message}")
    return ReceiverReport.from_json(payload)
