"""The running service's parts, opened in order and closed in reverse by one lifespan.

    async with open_services(settings, smtp_socket=sock) as services:
        ...  # handlers reach them as request.state.services

Nothing here is half-built: a `Services` exists only between start-up and shutdown, with every
field set. The order: clock, bus, store, outbound HTTP client, mailer, SMTP sink, retention.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import socket
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from starlette.requests import HTTPConnection

from mailyard.sandbox import (
    About,
    AttemptCounter,
    Bus,
    Clock,
    DeliveryConfig,
    Dispatcher,
    FaultPlan,
    Faults,
    Formats,
    Limits,
    Mailer,
    NotFoundError,
    Redactor,
    Retention,
    Rules,
    RuleSet,
    SigningKey,
    Simulator,
    SinkHandler,
    SMTPConfig,
    SMTPErrorReply,
    SMTPPolicy,
    Store,
    Throttle,
    Waiters,
    listen,
    start_smtp,
)
from mailyard.senders import WebhookClient
from mailyard.web import logs
from mailyard.web.auth.service import AuthServices, open_auth
from mailyard.web.emulate.state import Emulators, open_emulators
from mailyard.web.outbound import (
    OutboundClient,
    build_mailer,
    delivery_config,
    sandbox_mailer,
)
from mailyard.web.settings import Settings

if TYPE_CHECKING:
    import httpx

    from mailyard.sandbox import DeliveryHistory

log = logging.getLogger("mailyard")

PRUNE_EVERY = 60.0


@dataclass
class Services:
    """What handlers need, for the life of the service."""

    settings: Settings
    clock: Clock
    bus: Bus
    store: Store
    waiters: Waiters
    simulator: Simulator
    dispatcher: Dispatcher
    throttle: Throttle  # per-credential send rates and daily quotas (SES, Resend, SMTP)
    attempts: AttemptCounter  # "fail N times then succeed" scenario addresses
    faults: Faults  # SMTP fault plans: global, per mailbox, Mailpit's chaos triggers
    smtp: SinkHandler
    smtp_port: int
    http_port: int
    outbound: OutboundClient  # outbound HTTP (Resend, link checks), made on first use
    delivery: DeliveryConfig
    mailer: Mailer  # the configured delivery
    sandbox_mailer: Mailer  # always this service's own sink (the preview gallery's test sends)
    emulators: Emulators  # the SES and Resend APIs' state (web.emulate)
    started: float
    secret: bytes = field(repr=False, default=b"")  # keys the inbox's CSRF token
    auth: AuthServices | None = None  # the reference auth service; None: --no-auth-service

    @property
    def http(self) -> httpx.AsyncClient:
        """The outbound client, made on first use."""
        return self.outbound.get()

    @property
    def sink_host(self) -> str:
        return sink_host(self.settings.host)

    def stopping(self) -> None:
        """A stop was asked for: end long polls and live streams now, not at their timeouts."""
        self.waiters.close()
        self.bus.close()


def load_rules(settings: Settings) -> Rules:
    """The global simulator rules: the file's, then the one-line setting's (both, in order)."""
    rule_sets = []
    if settings.sim_rules_file:
        rule_sets.append(RuleSet.load(settings.sim_rules_file, name="file"))
    if settings.sim_rules:
        rule_sets.append(RuleSet.parse(settings.sim_rules, name="settings"))
    return Rules(tuple(rule_sets))


def _own_url(settings: Settings, http_port: int) -> str:
    host = sink_host(settings.host)
    return f"http://{'[' + host + ']' if ':' in host else host}:{http_port}"


def _sns_key(store: Store, clock: Clock) -> Callable[[], SigningKey]:
    """mailyard's SNS signing key and certificate, made on first use and kept per install."""
    cache: list[SigningKey] = []

    def key() -> SigningKey:
        if not cache:
            cache.append(stored_signing_key(store, clock, "sns"))
        return cache[0]

    return key


def stored_signing_key(store: Store, clock: Clock, name: str) -> SigningKey:
    """The signing key and certificate kept in the store's meta as `<name>_key_pem` and
    `<name>_cert_pem`, made on first use: one per install, the same after a restart."""
    key_pem, cert_pem = store.meta(f"{name}_key_pem"), store.meta(f"{name}_cert_pem")
    if key_pem is None or cert_pem is None:
        made = SigningKey.generate(clock.now(), secrets.randbits(63))
        store.set_meta(f"{name}_key_pem", made.key_pem)
        store.set_meta(f"{name}_cert_pem", made.cert_pem)
        key_pem, cert_pem = store.meta(f"{name}_key_pem"), store.meta(f"{name}_cert_pem")
    assert key_pem is not None and cert_pem is not None
    return SigningKey.from_pem(key_pem, cert_pem)


def _simulator_history(store: Store) -> DeliveryHistory:
    """The auth service's delivery history: the simulator's bounces and complaints."""
    from mailyard.sandbox import SimulatorHistory  # with the auth service, on first use

    return SimulatorHistory(store.deliveries)


def _about(store: Store, message_id: str) -> About | None:
    try:
        record = store.messages.get(message_id)
    except NotFoundError:
        return None
    from mailyard.web.api.reading import about_of  # web.api imports this module

    # The dispatcher asks on the loop: only the header block is parsed, never the bodies.
    return about_of(record, store.messages.raw(record.summary.seq))


def _message_summary(store: Store, message_id: str) -> dict[str, object] | None:
    from mailyard.web.api.shapes import summary

    try:
        return summary(store.messages.get(message_id).summary)
    except NotFoundError:
        return None


async def _register_configured(dispatcher: Dispatcher, settings: Settings) -> None:
    """The endpoints the settings name, registered once (a restart does not add them again)."""
    wanted = [tuple(item.split("=", 1)) for item in settings.webhooks]
    if settings.webhook_url:
        wanted.append(("mailpit", settings.webhook_url))
    known = {(e.format, e.url) for e in dispatcher.endpoints()}
    for entry in wanted:
        if len(entry) != 2 or (entry[0], entry[1]) in known:
            continue
        await dispatcher.register(entry[1], entry[0])


def load_faults(settings: Settings) -> Faults:
    """The SMTP fault plans at start: --smtp-faults, then Mailpit's --chaos-triggers."""
    plan = FaultPlan.parse(settings.smtp_faults) if settings.smtp_faults else FaultPlan()
    enabled = settings.enable_chaos or bool(settings.chaos_triggers)
    if settings.chaos_triggers:
        from mailyard.sandbox import chaos  # only Mailpit's chaos triggers need it (issue 10)

        plan = chaos.apply(plan, chaos.parse_triggers(settings.chaos_triggers))
    return Faults(global_plan=plan, chaos_enabled=enabled)


def smtp_limits(settings: Settings) -> Callable[[str], Limits | None]:
    """The send limits of an SMTP mailbox (the same for every mailbox, from the settings)."""
    if not settings.smtp_max_send_rate and not settings.smtp_daily_quota:
        return lambda mailbox: None
    limits = Limits(
        rate=settings.smtp_max_send_rate or None, daily=settings.smtp_daily_quota or None
    )
    return lambda mailbox: limits


def sink_host(host: str) -> str:
    """Where this process reaches its own SMTP sink (loopback when bound to every address)."""
    wildcard = host in ("0.0.0.0", "::", "")  # noqa: S104 - recognising, not binding
    return "127.0.0.1" if wildcard else host


def services(connection: HTTPConnection) -> Services:
    """The services of the app serving this request."""
    return cast(Services, connection.state.services)


@contextlib.asynccontextmanager
async def open_services(
    settings: Settings,
    smtp_config: SMTPConfig,
    *,
    smtp_socket: socket.socket | None = None,
    http_port: int = 0,
    clock: Clock | None = None,
    secret: bytes | None = None,
) -> AsyncIterator[Services]:
    """Open every part of the service; close them in reverse order on the way out."""
    async with contextlib.AsyncExitStack() as stack:
        loop = asyncio.get_running_loop()
        previous_handler = loop.get_exception_handler()
        loop.set_exception_handler(_one_line_for_tls_failures)
        stack.callback(loop.set_exception_handler, previous_handler)
        clock = clock or Clock(movable=settings.clock_control)
        stack.callback(clock.close)
        bus = Bus()
        stack.callback(bus.close)  # first to close: long polls and streams end at once
        if not settings.quiet:  # one line per received message, from the bus, not the writer
            redact = Redactor(settings.secrets())
            stack.callback(logs.log_arrivals(bus, fmt=settings.log_format, redact=redact))
        store = Store(
            settings.db,
            clock=clock,
            publish=bus.publish,
            synchronous=settings.db_sync,
            retention=Retention(settings.max_messages, settings.max_age),
            wal_limit=settings.wal_limit,
        )
        store.open()
        stack.callback(store.close)
        waiters = Waiters(
            bus,
            lambda after, query, mailbox, tz: store.messages.first_after(
                after=after, query=query, mailbox=mailbox, tz=tz
            ),
        )
        stack.callback(waiters.close)
        simulator = Simulator(
            store, bus, clock, ingest=store.messages.ingest, rules=load_rules(settings)
        )
        if settings.simulator:
            simulator.start()
        stack.push_async_callback(simulator.close)
        public_url = settings.public_url or _own_url(settings, http_port)
        dispatcher = Dispatcher(
            store,
            bus,
            clock,
            WebhookClient(),
            Formats(
                _sns_key(store, clock),
                lambda: public_url,
                message_json=lambda message_id: _message_summary(store, message_id),
            ),
            lambda message_id: _about(store, message_id),
            retry_scale=settings.webhook_retry_scale,
            timeout=settings.webhook_timeout,
            mailpit_limit=settings.webhook_limit,
            mailpit_delay=settings.webhook_delay,
        )
        dispatcher.start()
        stack.push_async_callback(dispatcher.close)
        await _register_configured(dispatcher, settings)
        outbound = OutboundClient()
        stack.push_async_callback(outbound.aclose)
        sock = smtp_socket or listen(settings.host, settings.smtp_port)
        smtp_port = int(sock.getsockname()[1])
        delivery = delivery_config(
            settings, sandbox_host=sink_host(settings.host), sandbox_port=smtp_port
        )
        throttle, attempts = Throttle(clock), AttemptCounter(clock)
        faults = load_faults(settings)
        policy = SMTPPolicy(
            attempts=attempts, throttle=throttle, faults=faults, limits=smtp_limits(settings)
        )
        server, handler = await start_smtp(store.messages.ingest, smtp_config, sock, policy)
        handler.on_error_reply = lambda reply, client: bus.publish(SMTPErrorReply(reply, client))

        async def stop_smtp() -> None:
            server.close()
            handler.close_sessions()
            await server.wait_closed()
            await asyncio.sleep(0)  # let the cancelled sessions finish

        stack.push_async_callback(stop_smtp)
        if settings.max_age:
            pruner = asyncio.create_task(_prune_forever(store, clock))
            stack.callback(pruner.cancel)
        mailer = build_mailer(delivery, store, outbound.get, log_format=settings.log_format)
        # The reference auth service (web.auth); closed before the sink, so its outbox's last
        # sends still land.
        auth = await stack.enter_async_context(
            open_auth(
                settings,
                store,
                mailer,
                clock,
                http_port=http_port,
                history=lambda: _simulator_history(store),
            )
        )
        emulators = await stack.enter_async_context(open_emulators(settings, store, clock))
        yield Services(
            settings=settings,
            clock=clock,
            bus=bus,
            store=store,
            waiters=waiters,
            simulator=simulator,
            dispatcher=dispatcher,
            throttle=throttle,
            attempts=attempts,
            faults=faults,
            smtp=handler,
            smtp_port=smtp_port,
            http_port=http_port,
            outbound=outbound,
            delivery=delivery,
            mailer=mailer,
            sandbox_mailer=sandbox_mailer(delivery, store, log_format=settings.log_format),
            emulators=emulators,
            started=clock.now(),
            secret=secret or secrets.token_bytes(32),
            auth=auth,
        )


def _one_line_for_tls_failures(loop: asyncio.AbstractEventLoop, context: dict[str, object]) -> None:
    """A client that fails its TLS handshake is worth one line, not a traceback per attempt."""
    exc = context.get("exception")
    if (
        isinstance(exc, ssl.SSLError | ConnectionResetError)
        and "handshake" in str(context.get("message", "")).lower() + str(exc).lower()
    ):
        transport = context.get("transport")
        get_extra = getattr(transport, "get_extra_info", None)
        peer = get_extra("peername") if callable(get_extra) else None
        log.info("TLS handshake with %s failed: %s", peer or "a client", exc)
        return
    loop.default_exception_handler(context)


async def _prune_forever(store: Store, clock: Clock) -> None:
    while True:
        try:
            removed = await store.messages.prune_by_age()
            if removed:
                log.info(
                    "retention: removed %d messages older than %ss",
                    removed,
                    store.retention.max_age,
                )
        except Exception:
            log.exception("retention pruning failed")
        await clock.sleep(PRUNE_EVERY)
