"""How a setting is declared and given: `setting()` declares a `Settings` field with its help,
environment variables, flag, reader and commands (kept in the field's metadata), and
`options_of()` reads those declarations back as `Option`s, which the CLI turns into flags and
`load_settings` into environment look-ups. Also the names of the commands a setting belongs to.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mailyard.web.settings_readers import one_of, parse_bool, text

# The choices of the settings that take one of a few words.
DELIVERY_MODES = ("sandbox", "smtp", "ses", "resend", "none", "auto")
RELAY_TLS_MODES = ("starttls", "implicit", "none")
LOG_LEVELS = ("debug", "info", "warning", "error")
SIGV4_MODES = ("lenient", "strict")

SERVE, SEND = "serve", "send"
BOTH = (SERVE, SEND)


@dataclass(frozen=True)
class Option:
    """How one setting is given: its help, variables, flag, reader and commands."""

    help: str
    env: tuple[str, ...]
    flag: str | None
    parse: Callable[[str], Any]
    commands: frozenset[str]
    secret: bool = False
    choices: tuple[str, ...] = ()
    is_flag: bool = False
    kind: str = "text"  # text | path | port | number | duration | size | list | choice | flag


def setting(
    default: Any,
    help: str,
    *,
    parse: Callable[[str], Any] = text,
    env: tuple[str, ...] | None = None,
    flag: bool = True,
    commands: tuple[str, ...] = (SERVE,),
    secret: bool = False,
    choices: tuple[str, ...] = (),
    kind: str = "text",
) -> Any:
    """A Settings field; `env` defaults to MAILYARD_<NAME>, the flag to --<name>."""
    meta = {
        "help": help,
        "env": env,
        "flag": flag,
        "parse": one_of(choices) if choices else parse,
        "commands": frozenset(commands),
        "secret": secret,
        "choices": choices,
        "is_flag": parse is parse_bool,
        "kind": "choice" if choices else ("flag" if parse is parse_bool else kind),
    }
    return field(default=default, repr=not secret, metadata={"option": meta})


def environment_setting(default: Any, help: str, *env: str, secret: bool = False) -> Any:
    """A setting of `send` and `serve` alike given only by the environment, under `env` (the
    names a provider's own tools read: RESEND_API_KEY, AWS_REGION, ...; MAILYARD_<NAME> when
    none is given): credentials and provider addresses, which have no flag."""
    return setting(default, help, env=env or None, flag=False, commands=BOTH, secret=secret)


def options_of(settings_class: type[Any]) -> dict[str, Option]:
    """Field name -> how it is given, in declaration order, for a class of `setting()` fields."""
    found = {}
    for f in dataclasses.fields(settings_class):
        meta = dict(f.metadata["option"])
        env = meta["env"] or ("MAILYARD_" + f.name.upper(),)
        flag = "--" + f.name.replace("_", "-") if meta["flag"] else None
        found[f.name] = Option(
            help=meta["help"],
            env=env,
            flag=flag,
            parse=meta["parse"],
            commands=meta["commands"],
            secret=meta["secret"],
            choices=meta["choices"],
            is_flag=meta["is_flag"],
            kind=meta["kind"],
        )
    return found
