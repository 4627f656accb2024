"""The sink's SMTP protocol: one `SinkSMTP` per connection, and the `Authenticator` it calls.

`SinkSMTP` is aiosmtpd's `SMTP` with what a sink open to many apps needs: connection caps
(overall and per client address) and the policy's connect verdict, checked before any SMTP is
spoken; slow, logged failed AUTH; an idle timeout that NOOP/RSET/HELP never extend; a fast path
for plain `<user@domain>` addresses; and a bulk DATA reader (`capture.data.read_data`). The state
shared across sessions lives in its handler, `sink_handler.SinkHandler`.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
from typing import Any, AnyStr

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword, Session
from aiosmtpd.smtp import Envelope as SMTPEnvelope

from mailyard.sandbox.capture.data import DataTooLarge, read_data
from mailyard.sandbox.capture.sink_handler import SinkHandler, apply_verdict

log = logging.getLogger("mailyard.smtp")

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_PLAIN_PATH = re.compile(rf"^<({_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})*)>(.*)$", re.DOTALL)


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
            refused = await apply_verdict(self, verdict)
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
