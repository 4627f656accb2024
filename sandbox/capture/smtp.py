"""The embedded SMTP sink: aiosmtpd on the running event loop, storing every message it accepts.

This module holds its public face: `SMTPConfig` (how the sink listens and what it accepts),
`start_smtp` (serve on a socket) and `listen` (bind that socket); the handler's hooks live in
`sink_handler`, the per-connection protocol in `sink_session`. Replies follow RFC 5321 and say
what is wrong: `552 5.3.4` for an oversized message, `452 4.5.3` for recipients over the cap,
`451 4.3.0` when the store fails (never a 5xx for a transient fault, never an exception's text),
`452 4.3.1` when the disk is full. A `250` is sent only after the message is committed.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from dataclasses import dataclass, field

from mailyard.sandbox.capture.policy import SMTPPolicy
from mailyard.sandbox.capture.sink_handler import Ingest, SinkHandler
from mailyard.sandbox.capture.sink_session import Authenticator, SinkSMTP


@dataclass(frozen=True)
class SMTPConfig:
    """How the sink listens and what it accepts."""

    max_size: int = 50 * 1024 * 1024
    max_recipients: int = 1000
    # asyncio accepts without limit; past this many open sessions a client gets 421 and a close.
    max_connections: int = 500
    tls_context: ssl.SSLContext | None = None
    implicit_tls: bool = False
    require_tls: bool = False
    # None: any user and password are accepted; otherwise only these (user -> password).
    credentials: dict[str, str] | None = field(default=None, repr=False)
    auth_required: bool = False
    # AUTH in clear text is allowed only when the listener is on loopback.
    auth_require_tls: bool = True
    hostname: str = "mailyard"
    # A session that sends nothing but NOOP/RSET for this long is closed (they never reset it).
    timeout: float = 300
    # Sessions from one client address at once (loopback included: CI runs many in parallel).
    max_connections_per_client: int = 200
    # Failed AUTH attempts on one connection before it is closed; each failure past the first
    # few waits longer (per client address), so guessing is slow and shows in the log.
    max_auth_failures: int = 5


async def start_smtp(
    ingest: Ingest,
    config: SMTPConfig,
    sock: socket.socket,
    policy: SMTPPolicy | None = None,
) -> tuple[asyncio.Server, SinkHandler]:
    """Serve SMTP on the running loop from an already bound, listening socket; every message
    accepted goes through `ingest` and is answered only once that returns. `policy` adds the
    simulator's answers (scenario addresses, faults, send limits)."""
    handler = SinkHandler(ingest, config, policy)
    authenticator = Authenticator(config.credentials)
    loop = asyncio.get_running_loop()
    starttls = config.tls_context if not config.implicit_tls else None

    def factory() -> SinkSMTP:
        return SinkSMTP(
            handler,
            data_size_limit=config.max_size,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=config.hostname,
            ident="mailyard ESMTP",
            tls_context=starttls,
            require_starttls=config.require_tls and starttls is not None,
            timeout=config.timeout,
            authenticator=authenticator,
            auth_required=config.auth_required,
            auth_require_tls=config.auth_require_tls and not config.implicit_tls,
            loop=loop,
        )

    server = await loop.create_server(
        factory, sock=sock, ssl=config.tls_context if config.implicit_tls else None
    )
    return server, handler


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on `host:port`; port 0 picks any free port.

    The protocol is named explicitly: asyncio sets TCP_NODELAY only on sockets whose `proto` is
    IPPROTO_TCP, and without it a multi-line EHLO reply stalls ~40 ms on delayed ACKs.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(512)
    except OSError:
        sock.close()
        raise
    return sock
