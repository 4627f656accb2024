"""`mailyard render`: preview any auth email as HTML, text or a complete .eml."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from mailyard.renderer import (
    ALIASES,
    CONCEPTS,
    Fallback,
    RenderError,
    Theme,
    build_message,
    render,
    sample,
    sample_theme,
    sample_theme_names,
    theme_file,
)


def load_theme(value: str | None) -> Theme | None:
    """A theme from a JSON file, or a sample theme shipped with mailyard, by name."""
    if not value or value in ("default", "builtin"):
        return None
    try:
        return theme_file(Path(value)) if Path(value).exists() else sample_theme(value)
    except LookupError:
        known = ", ".join(sample_theme_names()) or "none"
        raise click.BadParameter(
            f"no theme file or sample theme {value!r} (samples: {known})"
        ) from None
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def vars_from(pairs: tuple[str, ...], context: str | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if context:
        try:
            loaded = json.loads(Path(context).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise click.BadParameter(
                f"cannot read {context}: {exc}", param_hint="--context"
            ) from None
        if not isinstance(loaded, dict):
            raise click.BadParameter(f"{context} must hold a JSON object", param_hint="--context")
        values.update(loaded)
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not key=value", param_hint="--var")
        values[key] = value
    return values


def fallback_warnings(fallbacks: tuple[Fallback, ...]) -> list[str]:
    """One warning per locale or time zone asked for and not used: what is supported (or the
    nearest names), and what was used instead."""
    return [f"warning: {f.problem}; used {f.used} instead" for f in fallbacks]


def _flag(fallback: Fallback, locale: str | None) -> str:
    if fallback.field == "timezone":
        return "--timezone"
    return "--locale" if fallback.requested == locale else "--theme"


def _listing() -> str:
    lines = []
    for name, cls in CONCEPTS.items():
        lines.append(f"{name}: {cls.summary}")
        for var in cls.variables():
            need = "required" if var["required"] else "optional"
            lines.append(f"    {var['spec']:<15} {var['type']:<9} {need:<8}  {var['description']}")
    aliases = ", ".join(f"{a} = {c}" for a, c in ALIASES.items())
    lines.append(f"aliases: {aliases}")
    lines.append(f"sample themes: {', '.join(sample_theme_names()) or 'none'}")
    return "\n".join(lines)


@click.command("render")
@click.argument("concept", required=False)
@click.option("--list", "show_list", is_flag=True, help="List the concepts and their variables.")
@click.option(
    "--theme",
    help="A theme JSON file, or a sample theme's name (the samples shipped with mailyard).",
)
@click.option(
    "--locale", help="The recipient's locale, e.g. de or ar (else the theme's, else en-US)."
)
@click.option("--timezone", help="The recipient's time zone for dates, e.g. Europe/Berlin.")
@click.option(
    "--var",
    "pairs",
    multiple=True,
    metavar="NAME=VALUE",
    help="A variable (spec or snake_case name); repeatable. Unset ones use samples.",
)
@click.option("--context", type=click.Path(dir_okay=False), help="Variables from a JSON file.")
@click.option(
    "--format", "fmt", type=click.Choice(["html", "text", "eml"]), default="html", show_default=True
)
@click.option("--test", is_flag=True, help="Prefix the subject with [TEST], as a test send does.")
@click.option(
    "--from",
    "sender",
    default="no-reply@auth.example.com",
    show_default=True,
    help="Sender address for --format eml.",
)
@click.option(
    "--to",
    "recipient",
    default="jane@example.com",
    show_default=True,
    help="Recipient for --format eml.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help="Write here instead of standard output.",
)
@click.option("--strict", is_flag=True, help="Fail on an unsupported locale or unknown time zone.")
def render_command(
    concept: str | None,
    show_list: bool,
    theme: str | None,
    locale: str | None,
    timezone: str | None,
    pairs: tuple[str, ...],
    context: str | None,
    fmt: str,
    test: bool,
    sender: str,
    recipient: str,
    output: str | None,
    strict: bool,
) -> None:
    """Render an auth email CONCEPT as HTML, text or .eml.

    Variables left unset take sample values, with the placeholder token test-preview-token-000
    in every link, so a preview never carries a working token.
    """
    if show_list:
        click.echo(_listing())
        return
    if not concept:
        raise click.UsageError("name a concept, or use --list to see them")
    if concept not in CONCEPTS and concept not in ALIASES:
        raise click.BadParameter(
            f"unknown concept; one of {', '.join(CONCEPTS)}", param_hint="CONCEPT"
        )
    try:
        chosen = load_theme(theme)
        email = render(
            sample(concept, vars_from(pairs, context)),
            chosen,
            locale=locale,
            timezone=timezone,
            test=test,
        )
        if strict and email.fallbacks:
            first = email.fallbacks[0]
            raise click.ClickException(f"{_flag(first, locale)}: {first.problem}")
        for line in fallback_warnings(email.fallbacks):
            click.echo(line + " (add --strict to fail instead)", err=True)
        if fmt == "html":
            data = email.html.encode()
        elif fmt == "text":
            data = email.text.encode()
        else:
            data = build_message(email, sender=sender, to=recipient).as_bytes()
    except RenderError as exc:
        where = f" ({exc.field})" if exc.field else ""
        raise click.ClickException(f"{exc}{where}") from None
    if output:
        Path(output).write_bytes(data)
        click.echo(f"wrote {output}: {email.subject!r} in {email.locale}", err=True)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
