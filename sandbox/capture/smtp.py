"""The embedded SMTP sink: aiosmtpd on the running event loop, storing every message it accepts.

Replies follow RFC 5321 and say what is wrong: `552 5.3.4` for an oversized message, `452 4.5.3`
for recipients over the cap, `451 4.3.0` when the store fails (never a 5xx for a transient fault,
never an exception's text), `452 4.3.1` when the disk is full. A `250` is sent only after the
message is committed.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, AnyStr

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword, Session, TLSSetupException
from aiosmtpd.smtp import Envelope as SMTPEnvelope

from mailyard.sandbox.capture.data import DataTooLarge, read_data
from mailyard.sandbox.capture.policy import SMTPPolicy, Verdict
from mailyard.sandbox.errors import StorageFullError
from mailyard.sandbox.store.records import Envelope, Stored

log = logging.getLogger("mailyard.smtp")

DEFAULT_MAILBOX = "default"


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


Ingest = Callable[[bytes, Envelope], Awaitable[Stored]]


class SinkHandler:
    """aiosmtpd hooks: cap recipients, ask the policy, and store each message before `250`."""

    def __init__(
        self, ingest: Ingest, config: SMTPConfig, policy: SMTPPolicy | None = None
    ) -> None:
        self.ingest = ingest
        self.config = config
        self.policy = policy
        self.accepted = 0
        self.accepted_bytes = 0
        self.rejected = 0
        self.open_sessions = 0
        self.sessions: set[SinkSMTP] = set()
        self.per_client: dict[str, int] = {}
        self.auth_failures = AuthFailures()
        # Told of every 4xx/5xx reply (reply line, client address): Mailpit's `error` event.
        self.on_error_reply: Callable[[str, str], None] | None = None

    def error_reply(self, reply: str, client: str) -> None:
        if self.on_error_reply is not None:
            self.on_error_reply(reply.rstrip("\r\n"), client)

    def close_sessions(self) -> None:
        """End every open session (the service is stopping): no task is left pending."""
        for session in list(self.sessions):
            if session.transport is not None:
                session.transport.close()
            task = getattr(session, "_handler_coroutine", None)
            if task is not None:
                task.cancel()
        self.sessions.clear()

    async def handle_exception(self, error: Exception) -> str:
        """aiosmtpd's hook for an exception inside a session: one line for a client that
        botched its TLS handshake, a traceback only for our own faults, never their text in
        the reply."""
        if isinstance(error, TLSSetupException):
            cause = error.__cause__ or error
            log.info("STARTTLS handshake failed: %s", cause)
            return "421 4.7.0 TLS handshake failed"
        log.exception("SMTP session error")
        return "451 4.3.0 Internal error, try again"

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: SMTPEnvelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        if self.policy is not None:
            refused = await _apply(server, self.policy.on_mail(_mailbox(session), address))
            if refused is not None:
                return refused
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: SMTPEnvelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if len(envelope.rcpt_tos) >= self.config.max_recipients:
            return f"452 4.5.3 Too many recipients (at most {self.config.max_recipients})"
        if self.policy is not None:
            verdict = self.policy.on_rcpt(_mailbox(session), envelope.mail_from or "", address)
            refused = await _apply(server, verdict)
            if refused is not None:
                return refused
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: SMTPEnvelope) -> str:
        raw = envelope.original_content
        if not isinstance(raw, bytes):
            raw = bytes(raw or b"")
        user = _auth_user(session)
        peer = session.peer
        stored_envelope = Envelope(
            mail_from=envelope.mail_from or "",
            rcpt_to=tuple(envelope.rcpt_tos),
            mailbox=user or DEFAULT_MAILBOX,
            source="smtp",
            client_addr=f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer or ""),
            helo=session.host_name or "",
            auth_user=user,
            tls=session.ssl is not None or self.config.implicit_tls,
        )
        if self.policy is not None:
            verdict = self.policy.on_data(
                stored_envelope.mailbox, stored_envelope.mail_from, stored_envelope.rcpt_to
            )
            refused = await _apply(server, verdict)
            if refused is not None:
                self.rejected += 1
                return refused
        try:
            stored = await self.ingest(raw, stored_envelope)
        except StorageFullError:
            self.rejected += 1
            log.error("storage full: message from %s refused with 452", stored_envelope.client_addr)
            return "452 4.3.1 Insufficient system storage"
        except Exception:
            self.rejected += 1
            log.exception("could not store a message")
            return "451 4.3.0 Temporary failure storing the message, try again"
        self.accepted += 1
        self.accepted_bytes += len(raw)
        if self.policy is not None:
            self.policy.accepted(stored_envelope.mailbox, stored_envelope.rcpt_to)
        return f"250 2.0.0 Ok: queued as {stored.id}"


def _mailbox(session: Session) -> str:
    return _auth_user(session) or DEFAULT_MAILBOX


async def _apply(server: SMTP, verdict: Verdict | None) -> str | None:
    """Wait out a verdict's latency; its reply (the connection closing after it if it says so),
    or None to answer as usual."""
    if verdict is None:
        return None
    if verdict.latency:
        await asyncio.sleep(verdict.latency)
    if verdict.closes and isinstance(server, SinkSMTP):
        server.close_after_reply = True
    if verdict.reply is None and verdict.closes and server.transport is not None:
        server.transport.close()  # a dropped connection: no reply at all
        return "421 4.4.2 Connection dropped"  # never sent: the transport is closed
    return verdict.reply


class AuthFailures:
    """Failed AUTH per client address: a growing delay after the first few, forgotten after a
    quiet hour, bounded in memory."""

    FREE = 3  # failures answered at once
    MAX_DELAY = 5.0
    IDLE = 3600.0
    MAX_CLIENTS = 10_000

    def __init__(self) -> None:
        self._seen: dict[str, tuple[int, float]] = {}

    def fail(self, client: str, now: float) -> float:
        """Count a failure; the seconds to wait before answering it."""
        count, last = self._seen.get(client, (0, now))
        if now - last > self.IDLE:
            count = 0
        count += 1
        self._seen[client] = (count, now)
        if len(self._seen) > self.MAX_CLIENTS:
            oldest = min(self._seen, key=lambda k: self._seen[k][1])
            del self._seen[oldest]
        return (
            0.0 if count <= self.FREE else min(self.MAX_DELAY, 0.25 * 2 ** (count - self.FREE - 1))
        )

    def succeed(self, client: str) -> None:
        self._seen.pop(client, None)


_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_PLAIN_PATH = re.compile(rf"^<({_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})*)>(.*)$", re.DOTALL)


def _auth_user(session: Session) -> str:
    data = session.auth_data
    if isinstance(data, LoginPassword):
        return data.login.decode("utf-8", errors="replace")
    return data if isinstance(data, str) else ""


class Authenticator:
    """Accepts any credentials, or only those configured; never keeps a password."""

    def __init__(self, credentials: dict[str, str] | None) -> None:
        self._credentials = credentials

    def __call__(
        self,
        server: SMTP,
        session: Session,
        envelope: SMTPEnvelope,
        mechanism: str,
        auth_data: Any,
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode("utf-8", errors="replace")
        if isinstance(server, SinkSMTP):
            server._auth_login = login  # for the failure's log line
        if self._credentials is not None:
            expected = self._credentials.get(login)
            given = auth_data.password.decode("utf-8", errors="replace")
            if expected is None or not hmac.compare_digest(expected.encode(), given.encode()):
                return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=login)


class SinkSMTP(SMTP):
    """aiosmtpd's protocol with a bulk DATA reader.

    Stock aiosmtpd reads DATA one awaited line at a time (~6 ms of CPU per 200 KB message) and
    refuses lines over 1000 bytes and LF-only messages, which real apps send. This reader takes
    whole chunks, accepts any line length, stores the bytes exactly, and ends DATA only at
    <CR><LF>.<CR><LF>, so no smuggling ending can split one message into two.
    """

    # The stream limit only bounds how much one read buffers; command lines keep their own
    # 512-byte limit (command_size_limit).
    line_length_limit = 64 * 1024

    close_after_reply = False
    _client = ""
    _auth_login = ""
    _auth_failures = 0
    _deadline: float | None = None
    _previous_deadline: float | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        handler = self.event_handler
        first = getattr(self, "_original_transport", None) is None and not getattr(
            self, "_counted", False
        )
        if first and isinstance(handler, SinkHandler):
            peer = transport.get_extra_info("peername")
            self._client = str(peer[0]) if isinstance(peer, tuple) else str(peer or "")
            refusal = self._refusal(handler)
            if refusal is not None:
                # Refuse before any SMTP is spoken, as Postfix does past its process limit.
                if refusal:
                    transport.write(refusal.encode() + b"\r\n")  # type: ignore[attr-defined]
                    handler.error_reply(refusal, self._client)
                transport.close()
                self._refused = True
                return
            handler.open_sessions += 1
            handler.per_client[self._client] = handler.per_client.get(self._client, 0) + 1
            handler.sessions.add(self)
            self._counted = True
        super().connection_made(transport)

    def _refusal(self, handler: SinkHandler) -> str | None:
        """Why this connection is refused at once (an empty reply: dropped), or None."""
        if handler.open_sessions >= handler.config.max_connections:
            return "421 4.7.0 Too many connections, try again later"
        if handler.per_client.get(self._client, 0) >= handler.config.max_connections_per_client:
            return "421 4.7.0 Too many connections from your address, try again later"
        if handler.policy is not None:
            verdict = handler.policy.on_connect()
            if verdict is not None and (verdict.reply or verdict.closes):
                return verdict.reply or ""
        return None

    def connection_lost(self, error: Exception | None) -> None:
        if getattr(self, "_refused", False):
            return
        handler = self.event_handler
        if getattr(self, "_counted", False) and isinstance(handler, SinkHandler):
            handler.open_sessions -= 1
            left = handler.per_client.get(self._client, 1) - 1
            if left > 0:
                handler.per_client[self._client] = left
            else:
                handler.per_client.pop(self._client, None)
            handler.sessions.discard(self)
            self._counted = False
        super().connection_lost(error)

    async def push(self, status: AnyStr) -> None:
        text = status.decode("utf-8", "replace") if isinstance(status, bytes) else str(status)
        if text.startswith("535") and isinstance(self.event_handler, SinkHandler):
            await self._auth_failed(self.event_handler)
        elif text.startswith("235") and isinstance(self.event_handler, SinkHandler):
            self.event_handler.auth_failures.succeed(self._client)
        if text[:1] in ("4", "5") and isinstance(self.event_handler, SinkHandler):
            self.event_handler.error_reply(text, self._client)
        await super().push(status)
        if self.close_after_reply or self._auth_failures >= self._max_auth_failures():
            self.close_after_reply = False
            if self.transport is not None:
                self.transport.close()

    def _max_auth_failures(self) -> int:
        handler = self.event_handler
        return handler.config.max_auth_failures if isinstance(handler, SinkHandler) else 1 << 30

    async def _auth_failed(self, handler: SinkHandler) -> None:
        """Log the failure (user and client, never the password) and make guessing slow."""
        self._auth_failures += 1
        delay = handler.auth_failures.fail(self._client, self.loop.time())
        log.warning(
            "SMTP AUTH failed for user %r from %s (%d on this connection)",
            self._auth_login[:64],
            self._client,
            self._auth_failures,
        )
        if delay:
            await asyncio.sleep(delay)

    async def smtp_AUTH(self, arg: str) -> None:
        handler = self.event_handler
        if isinstance(handler, SinkHandler) and handler.policy is not None:
            verdict = handler.policy.on_auth(None)
            refused = await _apply(self, verdict)
            if refused is not None:
                await self.push(refused)
                return
        await super().smtp_AUTH(arg)

    # -- the idle timeout: NOOP, RSET and HELP alone never keep a session ----------------------

    def _reset_timeout(self, duration: float | None = None) -> None:
        self._previous_deadline = self._deadline
        super()._reset_timeout(duration)
        self._deadline = self.loop.time() + (duration or self._timeout_duration)

    def _keep_deadline(self) -> None:
        """Undo the reset aiosmtpd did for this command: the session's clock keeps running."""
        if self._previous_deadline is None or self._timeout_handle is None:
            return
        self._timeout_handle.cancel()
        self._timeout_handle = self.loop.call_at(self._previous_deadline, self._timeout_cb)
        self._deadline = self._previous_deadline

    async def smtp_NOOP(self, arg: str) -> None:
        self._keep_deadline()
        await super().smtp_NOOP(arg)

    async def smtp_RSET(self, arg: str) -> None:
        self._keep_deadline()
        await super().smtp_RSET(arg)

    async def smtp_HELP(self, arg: str) -> None:
        self._keep_deadline()
        await super().smtp_HELP(arg)

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        # aiosmtpd builds a typing.Protocol class on every call and runs the full RFC 5322
        # parser: ~15% of the CPU per message under load. The plain `<dot-atom@domain>` form
        # is read here; anything else goes to aiosmtpd's parser (a test holds them equal).
        match = _PLAIN_PATH.match(arg)
        if match is not None and "(" not in match.group(2):  # a comment needs the full parser
            return match.group(1), match.group(2).lstrip(" \t")
        result: tuple[str | None, str | None] = super()._getaddr(arg)
        return result

    async def smtp_DATA(self, arg: str) -> None:
        if await self.check_helo_needed():
            return
        if await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 5.5.1 Error: need RCPT command")
            return
        if arg:
            await self.push("501 5.5.4 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        try:
            content = await read_data(self._reader, self.data_size_limit)
        except DataTooLarge:
            self._set_post_data_state()  # type: ignore[no-untyped-call]
            await self.push(f"552 5.3.4 Message too big (at most {self.data_size_limit} bytes)")
            return
        except asyncio.IncompleteReadError:
            # The client went away mid-DATA: nothing was acknowledged, nothing is kept.
            log.info("connection closed during DATA by %r", self.session and self.session.peer)
            return
        self.envelope.original_content = content
        self.envelope.content = content
        status = await self.event_handler.handle_DATA(self, self.session, self.envelope)
        self._set_post_data_state()  # type: ignore[no-untyped-call]
        await self.push(status)


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
