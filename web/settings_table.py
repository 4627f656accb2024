"""The `Settings` dataclass: mailyard's whole configuration as one declarative table, a field
per setting with its default, help, variables, flag and commands (`settings_options.setting`),
and `options()` read from it. One table on purpose, read top to bottom as the list of
everything mailyard can be told.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from mailyard.web.settings_options import (
    BOTH,
    DELIVERY_MODES,
    LOG_LEVELS,
    RELAY_TLS_MODES,
    SIGV4_MODES,
    Option,
    environment_setting,
    options_of,
    setting,
)
from mailyard.web.settings_readers import (
    csv,
    float_at_least,
    parse_bool,
    parse_duration,
    parse_port,
    parse_size,
    size_at_least,
    text,
    whole,
    words,
)


@dataclass(frozen=True)
class Settings:
    # -- listeners --------------------------------------------------------------------------
    host: str = setting(
        "127.0.0.1",
        "Address both listeners bind to. Keep it on loopback unless you need otherwise.",
        commands=BOTH,
    )
    smtp_port: int = setting(
        1025, "SMTP port; 0 picks any free port.", parse=parse_port, commands=BOTH, kind="port"
    )
    http_port: int = setting(
        8025,
        "Web inbox and API port; 0 picks any free port.",
        parse=parse_port,
        commands=BOTH,
        kind="port",
    )
    allowed_hosts: tuple[str, ...] = setting(
        (),
        "More host names the web and API answer to, comma separated. Loopback names always work; "
        "any other Host is refused (DNS rebinding). A --host of 0.0.0.0 answers to any.",
        parse=csv,
        kind="list",
    )
    http_max_connections: int = setting(
        1000,
        "Open HTTP connections at once; past it a client gets 503 and a close.",
        parse=whole(1),
        kind="number",
    )
    http_header_timeout: float = setting(
        10.0,
        "Seconds a client has to send a request's headers before it gets 408 and a close.",
        parse=parse_duration,
        kind="duration",
    )
    api_cors: tuple[str, ...] = setting(
        (),
        "Origins whose pages may call the API from a browser (CORS), as Mailpit's --api-cors: "
        "host[:port] entries separated by commas or spaces (a scheme is ignored), or * for any.",
        parse=words,
        env=("MAILYARD_API_CORS", "MP_API_CORS"),
        kind="list",
    )
    allow_internal_http_requests: bool = setting(
        False,
        "Let the link check fetch private, loopback and link-local addresses (as Mailpit's flag "
        "of that name); off, such links answer 451 without a connection being made.",
        parse=parse_bool,
        env=("MAILYARD_ALLOW_INTERNAL_HTTP_REQUESTS", "MP_ALLOW_INTERNAL_HTTP_REQUESTS"),
    )
    ui_auth_file: str | None = setting(
        None,
        "Require these user:password pairs (Basic auth) for the web inbox and the API.",
        kind="path",
        env=("MAILYARD_UI_AUTH_FILE", "MP_UI_AUTH_FILE"),
    )
    # -- store ------------------------------------------------------------------------------
    db: str = setting(
        "mailyard.db",
        "SQLite file; ':memory:' for a throw-away store.",
        kind="path",
        env=("MAILYARD_DB", "MP_DATABASE"),
    )
    db_sync: str = setting(
        "normal",
        "normal: an acknowledged message survives a crash of mailyard; full: also a power "
        "loss (slower).",
        choices=("normal", "full"),
    )
    max_messages: int = setting(
        0,
        "Keep at most this many messages, deleting the oldest; 0 keeps all.",
        parse=whole(0),
        kind="number",
        env=("MAILYARD_MAX_MESSAGES", "MP_MAX_MESSAGES"),
    )
    max_age: float = setting(
        0.0,
        "Delete messages older than this (e.g. 12h, 7d); 0 keeps them forever.",
        parse=parse_duration,
        kind="duration",
        env=("MAILYARD_MAX_AGE", "MP_MAX_AGE"),
    )
    wal_limit: int = setting(
        64 * 1024 * 1024,
        "Largest the database's write-ahead log (the -wal file) may grow (e.g. 64M, at least "
        "1M): past an eighth of it the log is folded back into the database, and at the limit "
        "writes wait for that. As much again is kept free on the disk, so that deletes still "
        "work when the disk is full.",
        parse=size_at_least(1024 * 1024),
        kind="size",
    )
    # -- SMTP sink --------------------------------------------------------------------------
    smtp_max_size: int = setting(
        50 * 1024 * 1024,
        "Largest message accepted (e.g. 10M); bigger ones get 552.",
        parse=parse_size,
        kind="size",
    )
    smtp_max_recipients: int = setting(
        1000,
        "Recipients per message; extra RCPT commands get 452.",
        parse=whole(1),
        kind="number",
        env=("MAILYARD_SMTP_MAX_RECIPIENTS", "MP_SMTP_MAX_RECIPIENTS"),
    )
    smtp_max_connections: int = setting(
        500,
        "Open SMTP sessions at once; past it a client gets 421 and a close.",
        parse=whole(1),
        kind="number",
    )
    smtp_tls_cert: str | None = setting(
        None,
        "PEM certificate: enables STARTTLS.",
        kind="path",
        env=("MAILYARD_SMTP_TLS_CERT", "MP_SMTP_TLS_CERT"),
    )
    smtp_tls_key: str | None = setting(
        None,
        "PEM private key for --smtp-tls-cert.",
        kind="path",
        env=("MAILYARD_SMTP_TLS_KEY", "MP_SMTP_TLS_KEY"),
    )
    smtp_tls_implicit: bool = setting(
        False,
        "Speak TLS from the first byte (port-465 style) instead of STARTTLS.",
        parse=parse_bool,
        env=("MAILYARD_SMTP_TLS_IMPLICIT", "MP_SMTP_REQUIRE_TLS"),
    )
    smtp_require_tls: bool = setting(
        False,
        "Refuse MAIL until the client has used STARTTLS.",
        parse=parse_bool,
        env=("MAILYARD_SMTP_REQUIRE_TLS", "MP_SMTP_REQUIRE_STARTTLS"),
    )
    smtp_auth_file: str | None = setting(
        None,
        "Accept only the user:password pairs in this file (default: any credentials).",
        kind="path",
        env=("MAILYARD_SMTP_AUTH_FILE", "MP_SMTP_AUTH_FILE"),
    )
    smtp_idle_timeout: float = setting(
        300.0,
        "Seconds an SMTP session may go without a real command (NOOP and RSET do not count) "
        "before it is closed.",
        parse=parse_duration,
        kind="duration",
    )
    smtp_auth_required: bool = setting(
        False, "Refuse mail from clients that did not AUTH.", parse=parse_bool
    )
    # -- the delivery simulator -----------------------------------------------------------------
    simulator: bool = setting(
        True,
        "Simulate what providers do after accepting mail (deliveries, bounces, complaints, "
        "delays, suppression) and record their events; --no-simulator turns it off.",
        parse=parse_bool,
    )
    sim_rules: str | None = setting(
        None,
        "Simulator rules, one line: '*@example.com: complaint 1%; x@y.test: bounce "
        "permanent/noemail' (see the README's rules table).",
    )
    sim_rules_file: str | None = setting(
        None, "Simulator rules from a TOML or JSON file.", kind="path"
    )
    smtp_max_send_rate: float = setting(
        0.0,
        "Messages per second one SMTP mailbox may send; past it 454 (SES's wording). 0: no limit.",
        parse=float_at_least(0),
        kind="number",
    )
    smtp_daily_quota: int = setting(
        0,
        "Messages one SMTP mailbox may send in 24 hours; past it 454. 0: no limit.",
        parse=whole(0),
        kind="number",
    )
    smtp_faults: str | None = setting(
        None,
        "SMTP faults for every mailbox, one line: 'rcpt 451 10%; data latency=2s; mail drop 1%' "
        "(see the README's faults table).",
    )
    enable_chaos: bool = setting(
        False,
        "Serve Mailpit's chaos API (GET/PUT /api/v1/chaos) over the SMTP faults.",
        parse=parse_bool,
        env=("MAILYARD_ENABLE_CHAOS", "MP_ENABLE_CHAOS"),
    )
    chaos_triggers: str | None = setting(
        None,
        "Mailpit's chaos triggers at start, e.g. 'Sender:451:5,Recipient:550:10' (implies "
        "--enable-chaos).",
        env=("MAILYARD_CHAOS_TRIGGERS", "MP_CHAOS_TRIGGERS"),
    )
    clock_control: bool = setting(
        False,
        "Let tests move mailyard's clock forward (POST /api/v1/clock/advance): delays, "
        "retries and expiry then happen at once instead of in real time.",
        parse=parse_bool,
    )
    inbox_engagement: bool = setting(
        True,
        "Record an Open when the inbox shows a message's HTML and a Click when a link in it is "
        "followed, for the recipients the simulator delivered it to, as a reader's mail client "
        "would; --no-inbox-engagement turns it off.",
        parse=parse_bool,
    )
    # -- the reference auth service (web.auth) ---------------------------------------------------
    auth_service: bool = setting(
        True,
        "Serve the reference auth service: MIOSA's /auth/..., BluAuth's /api/auth/... and "
        "/api/admin/...; --no-auth-service turns it off.",
        parse=parse_bool,
    )
    auth_public_url: str | None = setting(
        None,
        "Public URL the auth service's email links point at, e.g. https://auth.example.com "
        "(default: --public-url when set, else this service's own http://HOST:HTTP_PORT).",
    )
    admin_token: str | None = setting(
        None,
        "Bearer token for the auth service's /api/admin/ routes (default: a random one, "
        "printed at start).",
        env=("MAILYARD_ADMIN_TOKEN",),
        flag=False,
        secret=True,
    )
    auth_email_verification: bool = setting(
        True,
        "Send an email confirmation after signup; --no-auth-email-verification activates "
        "accounts at once (and sends the welcome then).",
        parse=parse_bool,
    )
    auth_reset_ttl: float = setting(
        3600.0,
        "How long a password-reset link works (the spec's 1 hour).",
        parse=parse_duration,
        kind="duration",
    )
    auth_verify_ttl: float = setting(
        86400.0,
        "How long an email-confirmation link and code work.",
        parse=parse_duration,
        kind="duration",
    )
    auth_email_test_limit: int = setting(
        10,
        "Test sends per minute through /api/admin/email-test (previews: six times as many).",
        parse=whole(1),
        kind="number",
    )
    # -- webhooks -----------------------------------------------------------------------------
    webhooks: tuple[str, ...] = setting(
        (),
        "Webhook endpoints registered at start, comma separated, each FORMAT=URL with FORMAT "
        "sns, eventbridge, resend, mailpit or auth (e.g. resend=http://127.0.0.1:3000/hooks).",
        parse=csv,
        kind="list",
    )
    webhook_url: str | None = setting(
        None,
        "Mailpit's new-message webhook: POST each new message's summary to this URL.",
        env=("MAILYARD_WEBHOOK_URL", "MP_WEBHOOK_URL"),
    )
    webhook_limit: float = setting(
        1.0,
        "Mailpit's --webhook-limit: at most one new-message post per this many seconds.",
        parse=parse_duration,
        kind="duration",
        env=("MAILYARD_WEBHOOK_LIMIT", "MP_WEBHOOK_LIMIT"),
    )
    webhook_delay: float = setting(
        0.0,
        "Mailpit's --webhook-delay: wait this long before each new-message post.",
        parse=parse_duration,
        kind="duration",
        env=("MAILYARD_WEBHOOK_DELAY", "MP_WEBHOOK_DELAY"),
    )
    webhook_retry_scale: float = setting(
        1.0,
        "Multiply the providers' retry delays by this (e.g. 0.001 in tests).",
        parse=float_at_least(0),
        kind="number",
    )
    webhook_timeout: float = setting(
        15.0,
        "Seconds an endpoint has to answer a delivery attempt.",
        parse=parse_duration,
        kind="duration",
    )
    public_url: str | None = setting(
        None,
        "The URL receivers reach mailyard at (SNS's SigningCertURL and SubscribeURL, links in "
        "webhooks), and the auth service's link base unless --auth-public-url says otherwise; "
        "default: http://HOST:HTTP_PORT.",
    )
    # -- provider API emulation (web.emulate): SES v2, SES v1, Resend --------------------------
    ses_sandbox: bool = setting(
        False,
        "Emulate SES's sandbox: only identities created through the API may send, and only to "
        "such identities or the mailbox simulator; MessageRejected otherwise.",
        parse=parse_bool,
    )
    sigv4: str = setting(
        "lenient",
        "SES request signatures: lenient (a well-formed AWS4-HMAC-SHA256 header, any secret) "
        "or strict (verified against --sigv4-credentials-file).",
        choices=SIGV4_MODES,
    )
    sigv4_credentials_file: str | None = setting(
        None,
        "access_key_id:secret_access_key lines, for --sigv4 strict.",
        kind="path",
    )
    ses_max_send_rate: float = setting(
        0.0,
        "SES's MaxSendRate per access key: recipients per second, past it "
        "TooManyRequestsException. 0: no limit.",
        parse=float_at_least(0),
        kind="number",
    )
    ses_max_24_hour_send: int = setting(
        0,
        "SES's Max24HourSend per access key, in recipients (the mailbox simulator does not "
        "count). 0: no limit (GetAccount then says -1).",
        parse=whole(0),
        kind="number",
    )
    resend_rate_limit: float = setting(
        0.0,
        "Requests per second one Resend API key may make; past it 429 rate_limit_exceeded. "
        "0: no limit.",
        parse=float_at_least(0),
        kind="number",
    )
    resend_daily_quota: int = setting(
        0,
        "Recipients one Resend API key may send to in 24 hours; past it 429 "
        "daily_quota_exceeded. 0: no limit.",
        parse=whole(0),
        kind="number",
    )
    aws_account_id: str = setting(
        "123456789012",
        "The AWS account id the SES emulator reports in ARNs and events.",
    )
    # -- logging ----------------------------------------------------------------------------
    log_level: str = setting("info", "How much to log.", choices=LOG_LEVELS)
    quiet: bool = setting(
        False,
        "Log only warnings and errors: no line per received message (as Mailpit's --quiet).",
        parse=parse_bool,
        env=("MAILYARD_QUIET", "MP_QUIET"),
    )
    log_format: str = setting(
        "kv",
        "Log lines as key=value text or as JSON objects.",
        choices=("kv", "json"),
        commands=BOTH,
    )
    exit_with_parent: bool = setting(
        False,
        "Stop when the process that started this one exits, however it ended (a test harness "
        "killed by a CI timeout leaves no server behind; the pytest plugin sets it).",
        parse=parse_bool,
    )
    # -- delivery (the mailer: email-test, the preview gallery, `mailyard send`) ------------------
    delivery: str = setting(
        "sandbox",
        "Where auth emails go: sandbox (this mailyard's own sink), smtp (a relay), ses, resend, "
        "none, or auto (Resend if RESEND_API_KEY is set, else SES if BLUAUTH_SES_FROM_ADDRESS).",
        choices=DELIVERY_MODES,
    )
    from_address: str | None = setting(
        None,
        "From address for sandbox and relay sends (default: the provider's own setting, else "
        "no-reply@mailyard.test).",
        env=("MAILYARD_FROM",),
        commands=BOTH,
    )
    source_app: str = setting("bluauth", "The source_app tag on every send.", commands=BOTH)
    allow_recipients: tuple[str, ...] = setting(
        (),
        "Recipients real providers may mail: addresses and *@domain patterns, comma separated "
        "(the providers' test addresses are always allowed).",
        parse=csv,
        commands=BOTH,
        kind="list",
    )
    dry_run: bool = setting(
        False, "Render and log every send; send nothing.", parse=parse_bool, commands=BOTH
    )
    relay_host: str | None = setting(None, "SMTP relay host for --delivery smtp.", commands=BOTH)
    relay_port: int = setting(587, "SMTP relay port.", parse=parse_port, commands=BOTH, kind="port")
    relay_user: str | None = setting(None, "SMTP relay user name.", commands=BOTH)
    relay_password: str | None = environment_setting(None, "SMTP relay password.", secret=True)
    relay_tls: str = setting(
        "starttls",
        "starttls (required off loopback), implicit, or none (loopback only).",
        choices=RELAY_TLS_MODES,
        commands=BOTH,
    )
    resend_api_key: str | None = environment_setting(
        None, "Resend API key.", "RESEND_API_KEY", secret=True
    )
    resend_from: str | None = environment_setting(
        None,
        "From for Resend sends (the spec's; default noreply@notifications.miosa.ai).",
        "RESEND_FROM_APP_AUTH",
    )
    resend_api_url: str = environment_setting(
        "https://api.resend.com", "Resend's API base URL.", "RESEND_API_URL"
    )
    ses_from: str | None = environment_setting(
        None, "From address for SES sends (BluAuth's).", "BLUAUTH_SES_FROM_ADDRESS"
    )
    ses_configuration_set: str | None = environment_setting(
        None, "SES configuration set for every send.", "BLUAUTH_SES_CONFIGURATION_SET"
    )
    aws_region: str = environment_setting(
        "us-east-1", "AWS region for SES sends.", "AWS_REGION", "AWS_DEFAULT_REGION"
    )
    aws_profile: str | None = environment_setting(None, "AWS profile for SES sends.", "AWS_PROFILE")
    # boto3 reads AWS's credentials itself; they are here only so no output ever shows them.
    aws_secret_access_key: str | None = environment_setting(
        None,
        "AWS secret key (read by boto3; mailyard only keeps it out of every output).",
        "AWS_SECRET_ACCESS_KEY",
        secret=True,
    )
    aws_session_token: str | None = environment_setting(
        None, "AWS session token (as above).", "AWS_SESSION_TOKEN", secret=True
    )

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    def secrets(self) -> tuple[str, ...]:
        """The values of every secret setting that is set (to redact them from any output)."""
        known = options()  # one build, not one per field (each is ~1 ms of the cold start)
        return tuple(
            str(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if known.get(f.name, _NO_OPTION).secret and getattr(self, f.name)
        )


_NO_OPTION = Option("", (), None, text, frozenset())


def options() -> dict[str, Option]:
    """Field name -> how it is given, in declaration order."""
    return options_of(Settings)
