"""What `mailyard send` says about a send: what happened, in plain words, and what to set next
when nothing went out."""

from __future__ import annotations

from typing import Any

from mailyard.web.settings import Settings, options

TEST_ADDRESSES = "delivered@resend.dev for Resend, success@simulator.amazonses.com for SES"
SPEC_NOTE = "an auth endpoint would still answer success, as the spec requires"


def describe_outcome(data: dict[str, Any], settings: Settings) -> str:
    """The outcome of one send (the mailer's result as the API shapes it) as one paragraph.

    `data["server"]` is set when a running `mailyard serve` made the send with its own settings;
    `settings` are this shell's, used to say what a person should change where.
    """
    outcome, provider = data.get("outcome"), data.get("provider")
    where = f" (by the server at {data['server']})" if data.get("server") else ""
    if outcome == "sent":
        attempts = int(data.get("attempts") or 1)
        return (
            f"sent via {provider}{where}: message id {data.get('messageId')} "
            f"({float(data.get('durationMs') or 0):.0f} ms, "
            f"{attempts} attempt{'s' if attempts != 1 else ''})"
        )
    if outcome == "dry_run":
        return f"dry run{where}: rendered {data.get('subject')!r} for {provider}; nothing was sent"
    if outcome == "skipped":
        return _skipped(data, settings, where)
    if outcome == "blocked":
        text = f"not sent (blocked){where}: {data.get('reason')}. Send to a provider's test "
        text += f"address instead ({TEST_ADDRESSES}) or add the recipient to "
        text += "MAILYARD_ALLOW_RECIPIENTS."
        return text + _dry_run_note(settings, "blocked")
    reason = f"{data.get('errorCode')}: {data.get('reason')}"
    return f"not sent ({outcome}){where}: {reason}.{_failure_hint(data, settings)}"


def _skipped(data: dict[str, Any], settings: Settings, where: str) -> str:
    provider = data.get("provider")
    missing = [str(m) for m in data.get("missing") or []]
    if provider == "none" and missing == ["MAILYARD_DELIVERY=none"]:
        why = (
            "delivery is set to none, so nothing is ever sent. Choose where mail goes with "
            "--via or MAILYARD_DELIVERY (sandbox, smtp, ses, resend or auto)"
        )
    elif provider == "none":
        why = (
            "no provider is configured: set RESEND_API_KEY for Resend or "
            "BLUAUTH_SES_FROM_ADDRESS (and AWS credentials) for SES"
        )
    else:
        why = f"{provider} is not configured: set {' and '.join(missing)}"
    text = f"not sent{where}: {why}. Logged as email_not_configured; {SPEC_NOTE}."
    if data.get("server"):
        here = _set_in_this_shell(missing, settings)
        if here:
            text += (
                f" {' and '.join(here)} {'is' if len(here) == 1 else 'are'} set in this shell, "
                "but the server sends with its own settings: restart it with them, or add "
                "--standalone to send from here."
            )
    return text + _dry_run_note(settings, "skipped")


def _dry_run_note(settings: Settings, outcome: str) -> str:
    if not settings.dry_run:
        return ""
    if outcome == "skipped":
        return (
            " A dry run goes exactly as far as a real send would, so it stopped there too; for "
            "a dry run any value of the missing settings will do, as nothing is sent."
        )
    return " A dry run goes exactly as far as a real send would, so it stopped there too."


def _set_in_this_shell(missing: list[str], settings: Settings) -> list[str]:
    """The missing settings' variables that this shell does set (the server did not see them)."""
    found = []
    for name, option in options().items():
        for variable in option.env:
            if variable in missing and getattr(settings, name):
                found.append(variable)
    return found


def _failure_hint(data: dict[str, Any], settings: Settings) -> str:
    """What to check when this process could not reach the provider at all."""
    if data.get("errorCode") != "connection_error" or data.get("server"):
        return ""
    if data.get("provider") == "sandbox":
        return (
            f" No mailyard serve is listening for SMTP on {settings.host}:{settings.smtp_port}. "
            "`mailyard serve` prints its ports when it starts (mailyard ready: SMTP on ...); "
            "set MAILYARD_SMTP_PORT or --smtp-port to its SMTP port, or leave out --standalone "
            "and set MAILYARD_HTTP_PORT or --http-port to its web port to hand the send to it."
        )
    if data.get("provider") == "smtp":
        return (
            f" Nothing answered at the relay {settings.relay_host}:{settings.relay_port}: check "
            "MAILYARD_RELAY_HOST and MAILYARD_RELAY_PORT (--relay-host, --relay-port)."
        )
    return ""
