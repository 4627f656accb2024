"""The sink's aiosmtpd handler and the state it keeps across sessions.

`SinkHandler` holds the hooks aiosmtpd calls per command (`handle_MAIL`, `handle_RCPT`,
`handle_DATA`, `handle_exception`): it caps recipients, asks the simulator's policy, and stores
each message before answering `250`. It also keeps what outlives one session: the counters, the
open sessions and per-client counts the protocol (`sink_session.SinkSMTP`) enforces, and the
failed-AUTH tracker `AuthFailures`. `apply_verdict` is the policy glue: it turns a policy's
`Verdict` into a reply, a delay or a dropped connection.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiosmtpd.smtp import SMTP, LoginPassword, Session, TLSSetupException
from aiosmtpd.smtp import Envelope as SMTPEnvelope

from mailyard.sandbox.capture.policy import SMTPPolicy, Verdict
from mailyard.sandbox.errors import StorageFullError
from mailyard.sandbox.store.records import Envelope, Stored

if TYPE_CHECKING:
    from mailyard.sandbox.capture.sink_session import SinkSMTP
    from mailyard.sandbox.capture.smtp import SMTPConfig

log = logging.getLogger("mailyard.smtp")

DEFAULT_MAILBOX = "default"

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
            refused = await apply_verdict(server, self.policy.on_mail(_mailbox(session), address))
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
            refused = await apply_verdict(server, verdict)
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
            refused = await apply_verdict(server, verdict)
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


async def apply_verdict(server: SMTP, verdict: Verdict | None) -> str | None:
    """Wait out a verdict's latency; its reply (the connection closing after it if it says so),
    or None to answer as usual."""
    if verdict is None:
        return None
    if verdict.latency:
        await asyncio.sleep(verdict.latency)
    if verdict.closes:
        # Imported here: sink_session imports this module (SinkSMTP is built on SinkHandler).
        from mailyard.sandbox.capture.sink_session import SinkSMTP

        if isinstance(server, SinkSMTP):
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


def _auth_user(session: Session) -> str:
    data = session.auth_data
    if isinstance(data, LoginPassword):
        return data.login.decode("utf-8", errors="replace")
    return data if isinstance(data, str) else ""
