"""Building the mailer from the Settings: the delivery decision and the sender that carries it.

The only place provider clients are created: a boto3 `sesv2` client (region and profile from
the Settings, credentials and `AWS_ENDPOINT_URL_SESV2` found by boto3 the AWS way, botocore's
own retries off so `Retrying` is the one layer), Resend over the service's shared
`httpx.AsyncClient`, an SMTP relay or this service's own sink.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeAlias

from mailyard.sandbox import Allowlist, DeliveryConfig, Mailer, Redactor, Route, Store, choose
from mailyard.senders import ResendSender, Retrying, Sender, SESSender, SMTPRelay, SMTPSender
from mailyard.web.settings import Settings

if TYPE_CHECKING:  # imported when the client is made (`OutboundClient.get`)
    import httpx


def _aws_credentials(profile: str | None) -> bool:
    import boto3  # ~18 MB of memory: imported only when a send can route to SES

    try:
        return boto3.Session(profile_name=profile).get_credentials() is not None
    except Exception:  # a broken profile: treat as no credentials, the not-configured path
        return False


def _ses_endpoint(profile: str | None, region: str) -> str | None:
    """Where boto3 will send SES calls: `AWS_ENDPOINT_URL_SESV2`, `AWS_ENDPOINT_URL` or the
    profile's `endpoint_url`, else AWS's regional endpoint, as boto3 resolves them. Asked of
    a client because only botocore knows its precedence; only when the route is SES (~0.1 s).
    The mailer's allowlist applies unless it is on this machine (`sandbox.outbound.routing`)."""
    import boto3

    try:
        client = boto3.Session(profile_name=profile).client("sesv2", region_name=region)
    except Exception:  # a broken profile: the send will say so; assume AWS's own endpoint
        return None
    return str(client.meta.endpoint_url)


def _routes_to_ses(mode: str, settings: Settings) -> bool:
    return mode == "ses" or (
        mode == "auto" and not settings.resend_api_key and bool(settings.ses_from)
    )


def delivery_config(
    settings: Settings, *, sandbox_host: str, sandbox_port: int, via: str | None = None
) -> DeliveryConfig:
    """The sandbox's delivery settings; `via` overrides the configured mode for one command."""
    mode = via or settings.delivery
    return DeliveryConfig(
        mode=mode,
        resend_api_key=settings.resend_api_key,
        resend_from=settings.resend_from,
        resend_api_url=settings.resend_api_url,
        ses_from=settings.ses_from,
        ses_configuration_set=settings.ses_configuration_set,
        ses_endpoint_url=(
            _ses_endpoint(settings.aws_profile, settings.aws_region)
            if _routes_to_ses(mode, settings)
            else None
        ),
        aws_credentials=mode in ("ses", "auto") and _aws_credentials(settings.aws_profile),
        smtp_host=settings.relay_host,
        smtp_port=settings.relay_port,
        smtp_username=settings.relay_user,
        smtp_password=settings.relay_password,
        smtp_tls=settings.relay_tls,
        sandbox_host=sandbox_host,
        sandbox_port=sandbox_port,
        from_address=settings.from_address,
        source_app=settings.source_app,
        allow_recipients=",".join(settings.allow_recipients),
        dry_run=settings.dry_run,
        aws_region=settings.aws_region,
        aws_profile=settings.aws_profile,
        other_secrets=tuple(
            s for s in (settings.aws_secret_access_key, settings.aws_session_token) if s
        ),
    )


# The outbound client, or what makes it on first use (`OutboundClient.get`).
HTTP: TypeAlias = "httpx.AsyncClient | Callable[[], httpx.AsyncClient]"


class OutboundClient:
    """The service's one outbound `httpx.AsyncClient`, made on first use: making it imports
    httpcore (and trio, when installed) and loads the CA store, a third of the CPU of a cold
    start, which a service that never calls out does not need."""

    def __init__(self) -> None:
        self._client: httpx.AsyncClient | None = None

    def get(self) -> httpx.AsyncClient:
        if self._client is None:
            import httpx

            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(15.0, connect=5.0), follow_redirects=False
            )
        return self._client

    @property
    def made(self) -> bool:
        return self._client is not None

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()


def build_sender(route: Route, config: DeliveryConfig, http: HTTP) -> Sender | None:
    """The sender for `route`, or None when it is not configured."""
    if not route.configured:
        return None
    sender: Sender
    if route.provider == "ses":
        sender = SESSender(
            _ses_client(config),
            configuration_set=config.ses_configuration_set,
            source_app=config.source_app,
        )
    elif route.provider == "resend":
        client = http() if callable(http) else http
        sender = ResendSender(client, config.resend_api_key or "", config.resend_api_url)
    elif route.provider == "smtp":
        relay = SMTPRelay(
            host=config.smtp_host or "",
            port=config.smtp_port,
            username=config.smtp_username,
            password=config.smtp_password,
            tls=config.smtp_tls,
        )
        sender = SMTPSender(relay)
    else:  # the sandbox: our own sink, over the wire
        sender = SMTPSender(
            SMTPRelay(host=config.sandbox_host, port=config.sandbox_port, tls="none"), "sandbox"
        )
    return Retrying(sender)


def _ses_client(config: DeliveryConfig) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.Session(profile_name=config.aws_profile).client(
        "sesv2",
        region_name=config.aws_region,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


def build_mailer(
    config: DeliveryConfig,
    store: Store | None,
    http: HTTP,
    *,
    log_key: bytes | None = None,
    log_format: str = "kv",
    redact: Redactor | None = None,
) -> Mailer:
    """The mailer for the configured route, logging to `store`'s send log when there is one."""
    route = choose(config)
    return Mailer(
        route,
        build_sender(route, config, http),
        log_key=log_key if log_key is not None else store.log_key if store else b"",
        send_log=store.send_log if store else None,
        allowlist=Allowlist.parse(config.allow_recipients),
        source_app=config.source_app,
        dry_run=config.dry_run,
        log_format=log_format,
        redact=redact or Redactor(config.secrets()),
    )


def sandbox_mailer(config: DeliveryConfig, store: Store, *, log_format: str = "kv") -> Mailer:
    """A mailer that always sends into this service's own sink (for the preview gallery)."""
    route = choose(DeliveryConfig(mode="sandbox", from_address=config.from_address))
    relay = SMTPRelay(host=config.sandbox_host, port=config.sandbox_port, tls="none")
    return Mailer(
        route,
        Retrying(SMTPSender(relay, "sandbox"), attempts=2),
        log_key=store.log_key,
        send_log=store.send_log,
        log_format=log_format,
    )


def with_overrides(
    config: DeliveryConfig, *, via: str | None, dry_run: bool | None, aws_profile: str | None
) -> DeliveryConfig:
    """`config` for one send that names its own route (`--via`) or asks for a dry run."""
    changes: dict[str, Any] = {}
    if via is not None and via != config.mode:
        changes["mode"] = via
        changes["aws_credentials"] = via in ("ses", "auto") and _aws_credentials(aws_profile)
        if via == "ses" or (via == "auto" and not config.resend_api_key and config.ses_from):
            changes["ses_endpoint_url"] = _ses_endpoint(aws_profile, config.aws_region)
    if dry_run:
        changes["dry_run"] = True
    return replace(config, **changes) if changes else config
