"""The one frozen `Settings` mailyard runs with, built once at the edge: flag > environment >
default. This module is the entry point; import every settings name from here.

Each field declares its default, its help, the environment variables it reads (`MAILYARD_<NAME>`
unless the spec or AWS names it otherwise: `RESEND_API_KEY`, `BLUAUTH_SES_FROM_ADDRESS`,
`AWS_REGION`, ...), its command-line flag, and the commands it belongs to. The CLI builds its
options from these declarations (`web.cli.options`), so a default or a help text is written
once. The environment is read only here (`from_process`); nothing below `web` ever does.

Where each part lives: `settings_readers` (text to value: durations, sizes, ports, lists, ...),
`settings_options` (`setting()` declarations and the `Option`s read back from them),
`settings_table` (the `Settings` dataclass itself), `settings_loading` (`load_settings`,
`check`, `SettingsError`: given an environment, never reading one).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from mailyard.web.settings_loading import (
    SettingsError,
    check,
    defaults,
    load_settings,
    unread_mailpit,
)
from mailyard.web.settings_options import (
    BOTH,
    DELIVERY_MODES,
    LOG_LEVELS,
    RELAY_TLS_MODES,
    SEND,
    SERVE,
    SIGV4_MODES,
    Option,
    options_of,
    setting,
)
from mailyard.web.settings_readers import (
    MAX_BYTES,
    MAX_SECONDS,
    csv,
    float_at_least,
    one_of,
    parse_bool,
    parse_duration,
    parse_port,
    parse_size,
    size_at_least,
    text,
    whole,
    words,
)
from mailyard.web.settings_table import Settings, options


def from_process(flags: Mapping[str, Any] | None = None) -> Settings:
    """Settings from these flags and this process's environment: the one place it is read."""
    return load_settings(flags or {}, os.environ)


def unread_mailpit_variables(env: Mapping[str, str] | None = None) -> list[str]:
    """Mailpit's `MP_*` variables set in `env` (this process's by default) that mailyard does
    not read (`settings_loading.unread_mailpit`)."""
    return unread_mailpit(os.environ if env is None else env)


__all__ = [
    "BOTH",
    "DELIVERY_MODES",
    "LOG_LEVELS",
    "MAX_BYTES",
    "MAX_SECONDS",
    "RELAY_TLS_MODES",
    "SEND",
    "SERVE",
    "SIGV4_MODES",
    "Option",
    "Settings",
    "SettingsError",
    "check",
    "csv",
    "defaults",
    "float_at_least",
    "from_process",
    "load_settings",
    "one_of",
    "options",
    "options_of",
    "parse_bool",
    "parse_duration",
    "parse_port",
    "parse_size",
    "setting",
    "size_at_least",
    "text",
    "unread_mailpit_variables",
    "whole",
    "words",
]
