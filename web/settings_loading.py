"""Loading and checking the settings: `load_settings` builds the one `Settings` from flags, then
environment variables, then defaults; `check` applies the rules across settings;
`unread_mailpit` lists the `MP_*` variables a Mailpit set-up passes that mailyard does not read.
Every function here is given the environment; `web.settings` is the one place that reads this
process's. Errors are `SettingsError`, naming the flag or variable at fault.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from mailyard.web.settings_table import Settings, options


class SettingsError(ValueError):
    """A setting's value cannot be used; `source` names the flag or variable it came from."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message


def load_settings(flags: Mapping[str, Any], env: Mapping[str, str]) -> Settings:
    """Settings from already-parsed flag values (None: not given), then `env`, then defaults.

    Raises SettingsError naming the variable (or flag) whose value is wrong, and the rule a
    combination breaks.
    """
    values: dict[str, Any] = {}
    for name, option in options().items():
        given = flags.get(name)
        if given is not None:
            values[name] = given
            continue
        for variable in option.env:
            raw = env.get(variable)
            if raw is None or (raw == "" and not option.is_flag):
                continue
            try:
                values[name] = option.parse(raw)
            except ValueError as exc:
                raise SettingsError(variable, str(exc)) from None
            break
    settings = Settings(**values)
    check(settings)
    return settings


_PUBLIC_URL_RE = re.compile(r"^https?://[^/\s?#@]+(/[^\s?#]*)?$")


def check(settings: Settings) -> None:
    """Rules across settings; SettingsError naming the flags involved."""
    if bool(settings.smtp_tls_cert) != bool(settings.smtp_tls_key):
        raise SettingsError("--smtp-tls-cert/--smtp-tls-key", "the two go together")
    if settings.smtp_tls_implicit and not settings.smtp_tls_cert:
        raise SettingsError("--smtp-tls-implicit", "needs --smtp-tls-cert and --smtp-tls-key")
    # --public-url is the auth links' base too when --auth-public-url is not given.
    for flag, url in (
        ("--auth-public-url", settings.auth_public_url),
        ("--public-url", settings.public_url),
    ):
        if url is not None and (len(url) > 2048 or not _PUBLIC_URL_RE.match(url)):
            raise SettingsError(flag, f"{url[:80]!r} is not http(s)://host[:port][/path]")
    if settings.sigv4 == "strict" and not settings.sigv4_credentials_file:
        raise SettingsError("--sigv4", "strict needs --sigv4-credentials-file")
    if not (settings.aws_account_id.isdigit() and len(settings.aws_account_id) == 12):
        raise SettingsError("--aws-account-id", "an AWS account id is 12 digits")
    for name in ("auth_reset_ttl", "auth_verify_ttl"):
        if getattr(settings, name) < 1:
            raise SettingsError("--" + name.replace("_", "-"), "must be at least 1 second")


def unread_mailpit(env: Mapping[str, str]) -> list[str]:
    """Mailpit's `MP_*` variables set in `env` that mailyard does not read: a compose file moved
    over from Mailpit should say what it lost, not lose it quietly (MP_UI_AUTH_FILE unread would
    be an inbox open to anyone)."""
    read = {variable for option in options().values() for variable in option.env}
    return sorted(name for name in env if name.startswith("MP_") and name not in read)


def defaults() -> dict[str, Any]:
    """Field name -> its default."""
    return {f.name: f.default for f in dataclasses.fields(Settings)}
