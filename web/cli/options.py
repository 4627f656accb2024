"""Click options built from the Settings declarations (`web.settings`): one default and one help
text per setting, written once. Each option's help says its environment variable and default."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from mailyard.web.settings import Settings, SettingsError, defaults, from_process, options

F = TypeVar("F", bound=Callable[..., Any])


class _Reader(click.ParamType):  # type: ignore[type-arg]
    """A click type that reads text with a Settings reader (so flags and variables agree)."""

    def __init__(self, name: str, parse: Callable[[str], Any]) -> None:
        self.name = name
        self._parse = parse

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return self._parse(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def _shown(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(value) or "none"
    if isinstance(value, bool):
        return "off" if not value else "on"
    if value is None:
        return "unset"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def settings_options(command: str, *, skip: tuple[str, ...] = ()) -> Callable[[F], F]:
    """Add a flag for every setting of `command` (options are added in declaration order)."""
    chosen = [
        (name, option)
        for name, option in options().items()
        if command in option.commands and option.flag and name not in skip
    ]
    default_values = defaults()

    def decorate(function: F) -> F:
        for name, option in reversed(chosen):
            env = " / ".join(option.env)
            help_text = f"{option.help}  [env {env}; default {_shown(default_values[name])}]"
            kwargs: dict[str, Any] = {"help": help_text, "default": None}
            declaration = option.flag
            assert declaration is not None
            if option.is_flag and default_values[name] is True:
                declaration = f"{declaration}/--no-{declaration[2:]}"  # on unless turned off
            elif option.is_flag:
                kwargs["is_flag"] = True
            elif option.choices:
                kwargs["type"] = click.Choice(option.choices, case_sensitive=False)
            else:
                kwargs["type"] = _Reader(option.kind.upper(), option.parse)
                kwargs["metavar"] = option.kind.upper()
            function = click.option(declaration, name, **kwargs)(function)
        return function

    return decorate


def build_settings(flags: dict[str, Any]) -> Settings:
    """Settings from these flags and the process environment; a clear error, never a traceback."""
    try:
        return from_process(flags)
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from None


def environment_help(command: str) -> str:
    """The settings of `command` that only the environment sets (secrets, the spec's names)."""
    lines = []
    for _name, option in options().items():
        if command in option.commands and not option.flag:
            lines.append(f"  {' / '.join(option.env)}: {option.help}")
    return "\n".join(lines)


def check_db(path: str | None, source: str) -> None:
    """Refuse a database path whose folder does not exist, naming `source` (the flag and the
    variable it can come from): a typo must not create a tree of folders, nor fail later with a
    traceback from SQLite."""
    if not path or path == ":memory:":
        return
    folder = Path(path).parent
    if not folder.is_dir():
        raise click.UsageError(
            f"{source}: cannot create {path}: the folder does not exist. Create it first "
            f"(mkdir -p {folder}) or choose a database in an existing folder."
        )


def server_option(help_text: str) -> Callable[[F], F]:
    """`--server URL` (or MAILYARD_SERVER): the running mailyard a client command talks to."""
    return click.option(
        "--server", metavar="URL", envvar="MAILYARD_SERVER", show_envvar=True, help=help_text
    )


def timeout_option(most: float, help_text: str) -> Callable[[F], F]:
    """`--timeout SECONDS`, 0.5 to `most`, 10 by default: a check command's wait per step."""
    return click.option(
        "--timeout",
        type=click.FloatRange(0.5, most),
        default=10.0,
        show_default=True,
        help=help_text,
    )


def json_report_option() -> Callable[[F], F]:
    """`--json` (as `as_json`): a check command prints its report as JSON, for CI."""
    return click.option(
        "--json", "as_json", is_flag=True, help="Print the report as JSON (for CI)."
    )
