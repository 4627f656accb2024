"""The `mailyard` command. Each command parses its input and calls the library; nothing more.

Subcommands are imported only when run, so `mailyard serve` does not pay for the renderer's
imports and `mailyard render` does not pay for the server's.
"""

from __future__ import annotations

import importlib

import click

# command name -> (module under web.cli, attribute, one-line help)
COMMANDS = {
    "serve": ("serve", "serve_command", "Run the SMTP sink, the web inbox and the JSON API."),
    "render": ("render_cmd", "render_command", "Render an auth email as HTML, text or .eml."),
    "send": ("send_cmd", "send_command", "Render an auth email and send it the configured way."),
    "checklist": (
        "checklist",
        "checklist_command",
        "Run the spec's verification checklist against an auth service.",
    ),
    "webhook-check": (
        "webhook_check",
        "webhook_check_command",
        "Send a webhook receiver forged, stale and duplicate events; report what it accepted.",
    ),
}


class LazyGroup(click.Group):
    """A group whose commands are imported when used (or when --help lists them)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module, attribute, _ = entry
        command = getattr(importlib.import_module(f"mailyard.web.cli.{module}"), attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Listing the commands must not import them all: the help texts are kept here.
        with formatter.section("Commands"):
            formatter.write_dl([(name, entry[2]) for name, entry in COMMANDS.items()])


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="mailyard")
def main() -> None:
    """mailyard: a local mail sandbox for the mail auth systems send.

    Every option can also be set with the environment variable its help names.
    """
