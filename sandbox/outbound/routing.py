"""Which provider an email goes to, and whether that provider is configured.

`MAILYARD_DELIVERY` picks: `sandbox` (default: SMTP to mailyard's own sink), `smtp` (any relay),
`ses`, `resend`, `none` (never send), or `auto`, the spec's production rule: Resend when
RESEND_API_KEY is set, else SES when BLUAUTH_SES_FROM_ADDRESS is set, else not configured. A
provider without its key or from-address takes the spec's not-configured path.

A provider's API on this machine (SES or Resend pointed at mailyard's own emulation, or at
LocalStack) is not "real": the mail does not leave, so the recipient allowlist, which guards
real inboxes from a developer's machine, does not apply - the same rule as an SMTP relay on
loopback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.utils import parseaddr
from urllib.parse import urlsplit

from mailyard.senders import is_loopback

MODES = ("sandbox", "smtp", "ses", "resend", "none", "auto")
MIOSA_DEFAULT_FROM = "noreply@notifications.miosa.ai"  # the spec's, for the Resend path only
SANDBOX_DEFAULT_FROM = "no-reply@mailyard.test"  # .test is reserved (RFC 2606): never real
NOT_CONFIGURED = "email_not_configured"


@dataclass(frozen=True)
class DeliveryConfig:
    """The delivery settings, as read by the composition root. Secrets never show in a repr."""

    mode: str = "sandbox"
    resend_api_key: str | None = field(default=None, repr=False)
    resend_from: str | None = None  # RESEND_FROM_APP_AUTH
    resend_api_url: str = "https://api.resend.com"
    ses_from: str | None = None  # BLUAUTH_SES_FROM_ADDRESS
    ses_configuration_set: str | None = None  # BLUAUTH_SES_CONFIGURATION_SET
    ses_endpoint_url: str | None = None  # where boto3 sends SES calls (None: AWS's own)
    aws_credentials: bool = False  # whether boto3 found any
    aws_region: str = "us-east-1"
    aws_profile: str | None = None
    other_secrets: tuple[str, ...] = field(default=(), repr=False)  # e.g. AWS's, for redaction
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_tls: str = "starttls"
    sandbox_host: str = "127.0.0.1"
    sandbox_port: int = 1025
    from_address: str | None = None  # MAILYARD_FROM, for sandbox and smtp
    source_app: str = "bluauth"
    allow_recipients: str = ""
    dry_run: bool = False

    def secrets(self) -> tuple[str, ...]:
        """Every secret this configuration holds, to keep out of logs, the store and the API."""
        found = (self.resend_api_key, self.smtp_password, *self.other_secrets)
        return tuple(s for s in found if s)


@dataclass(frozen=True)
class Route:
    """The decision: which provider, whether it can send, from which address."""

    provider: str  # sandbox | smtp | ses | resend | none
    configured: bool
    from_address: str
    missing: tuple[str, ...] = ()  # the settings that are not set
    real: bool = False  # mail leaves this machine: the allowlist applies


def _address(value: str | None) -> str | None:
    return parseaddr(value)[1] or None if value else None


def _leaves(api_url: str | None) -> bool:
    """Whether a provider API at `api_url` is off this machine (None: the provider's own)."""
    if not api_url:
        return True
    return not is_loopback(urlsplit(api_url).hostname or "")


def _from(config: DeliveryConfig) -> str:
    """The sender for sandbox and relay sends: MAILYARD_FROM, else the address a provider is
    configured with (what production would show), else a neutral reserved address."""
    return (
        _address(config.from_address)
        or _address(config.ses_from)
        or _address(config.resend_from)
        or SANDBOX_DEFAULT_FROM
    )


def choose(config: DeliveryConfig, via: str | None = None) -> Route:
    """The route for `via` (or the configured mode)."""
    mode = via or config.mode
    if mode not in MODES:
        raise ValueError(f"delivery must be one of {', '.join(MODES)}, not {mode!r}")
    if mode == "auto":
        if config.resend_api_key:
            mode = "resend"
        elif config.ses_from:
            mode = "ses"
        else:
            return Route(
                "none", False, _from(config), ("RESEND_API_KEY", "BLUAUTH_SES_FROM_ADDRESS")
            )
    if mode == "none":
        return Route("none", False, _from(config), ("MAILYARD_DELIVERY=none",))
    if mode == "sandbox":
        return Route("sandbox", True, _from(config))
    missing: tuple[str, ...]
    if mode == "resend":
        missing = () if config.resend_api_key else ("RESEND_API_KEY",)
        # The spec: RESEND_FROM_APP_AUTH, else noreply@notifications.miosa.ai.
        sender = _address(config.resend_from) or MIOSA_DEFAULT_FROM
        real = _leaves(config.resend_api_url)
        return Route("resend", not missing, sender, missing, real=real)
    if mode == "ses":
        missing = tuple(
            name
            for name, ok in (
                ("BLUAUTH_SES_FROM_ADDRESS", config.ses_from),
                ("AWS credentials", config.aws_credentials),
            )
            if not ok
        )
        real = _leaves(config.ses_endpoint_url)
        return Route("ses", not missing, _address(config.ses_from) or "", missing, real=real)
    missing = () if config.smtp_host else ("MAILYARD_RELAY_HOST",)
    real = bool(config.smtp_host) and not is_loopback(config.smtp_host or "")
    return Route("smtp", not missing, _from(config), missing, real=real)
