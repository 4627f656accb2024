"""Any SMTP relay, or mailyard's own sink, through aiosmtplib.

STARTTLS is required unless the relay is on loopback; AUTH is never offered over a clear channel
to a non-loopback host. Line endings are normalised to CRLF before sending, so a stored message
with bare CR or LF (a smuggling ending among them) can never be relayed as two.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import re
import ssl
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mailyard.senders.errors import SendError
from mailyard.senders.outgoing import Outgoing, Receipt

if TYPE_CHECKING:
    import aiosmtplib

_LINE_END = re.compile(rb"\r\n|\r|\n")
_QUEUED = re.compile(r"queued as ([^\s]+)", re.IGNORECASE)
TLS_MODES = ("starttls", "implicit", "none")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class SMTPRelay:
    """Where and how to connect. `tls`: starttls (required off loopback), implicit, or none."""

    host: str
    port: int = 587
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: str = "starttls"
    timeout: float = 30.0
    tls_context: ssl.SSLContext | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.tls not in TLS_MODES:
            raise ValueError(f"tls must be one of {', '.join(TLS_MODES)}")
        if self.tls == "none" and not is_loopback(self.host):
            raise ValueError(
                f"an SMTP relay off loopback ({self.host}) needs starttls or implicit TLS"
            )


def normalize_line_endings(data: bytes) -> bytes:
    return _LINE_END.sub(b"\r\n", data)


class SMTPSender:
    """Sends the complete MIME message to the relay."""

    def __init__(self, relay: SMTPRelay, name: str = "smtp") -> None:
        self.relay = relay
        self.name = name

    async def send(self, email: Outgoing) -> Receipt:
        import aiosmtplib  # ~40 ms: imported by the first send, not when a service starts

        relay = self.relay
        loopback = is_loopback(relay.host)
        client = aiosmtplib.SMTP(
            hostname=relay.host,
            port=relay.port,
            timeout=relay.timeout,
            use_tls=relay.tls == "implicit",
            start_tls=False,
            tls_context=relay.tls_context,
        )
        accepted_data = False
        try:
            await client.connect()
            await client.ehlo()  # the extensions (STARTTLS, AUTH) are known only after EHLO
            if relay.tls == "starttls":
                if client.supports_extension("starttls"):
                    await client.starttls(tls_context=relay.tls_context)
                elif not loopback:
                    raise SendError(
                        self.name,
                        "starttls_unavailable",
                        f"{relay.host} does not offer STARTTLS; refusing to send in clear",
                    )
            if relay.username:
                encrypted = client.is_connected and (
                    relay.tls == "implicit" or client.get_transport_info("sslcontext") is not None
                )
                if not encrypted and not loopback:
                    raise SendError(
                        self.name, "auth_without_tls", "refusing to send credentials in clear"
                    )
                await client.login(relay.username, relay.password or "")
            errors, reply = await client.sendmail(
                email.from_address, list(email.recipients), normalize_line_endings(email.mime)
            )
            accepted_data = True
            if errors:
                refused = ", ".join(f"{r} ({e.code})" for r, e in errors.items())
                raise SendError(self.name, "recipients_refused", f"refused: {refused}")
        except SendError:
            raise
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = {e.code for e in exc.recipients}
            raise SendError(
                self.name,
                f"smtp_{min(codes)}",
                "all recipients refused",
                retryable=all(400 <= c < 500 for c in codes),
            ) from None
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise SendError(self.name, f"smtp_{exc.code}", "authentication failed") from None
        except aiosmtplib.SMTPResponseException as exc:
            raise SendError(
                self.name,
                f"smtp_{exc.code}",
                exc.message,
                retryable=400 <= exc.code < 500 and not accepted_data,
            ) from None
        except (
            aiosmtplib.SMTPConnectError,
            aiosmtplib.SMTPConnectTimeoutError,
            ConnectionRefusedError,
        ) as exc:
            raise SendError(self.name, "connection_error", str(exc), retryable=True) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            # Disconnected or timed out mid-way: it may have been accepted, so no retry.
            raise SendError(self.name, "connection_lost", str(exc) or type(exc).__name__) from None
        finally:
            await _hang_up(client)
        match = _QUEUED.search(reply)
        return Receipt(self.name, match.group(1) if match else _message_id(email.mime))


async def _hang_up(client: aiosmtplib.SMTP) -> None:
    """QUIT, then drop the connection at once. After the 221 nothing more is said, but over TLS
    a polite close first waits for the relay's close_notify: a short-lived loop (`mailyard
    send`, asyncio.run) may end before it comes, leaving the socket under the TLS layer open
    for the garbage collector (a ResourceWarning, and a descriptor held until then)."""
    import aiosmtplib

    transport = client.transport
    if client.is_connected:
        with contextlib.suppress(aiosmtplib.SMTPException, OSError):
            await client.quit()
    abort = getattr(transport, "abort", None)  # the TLS layer's, or the socket's (any loop's)
    if abort is not None:
        abort()
        await asyncio.sleep(0)  # the socket closes in connection_lost, on the next loop turn


def _message_id(mime: bytes) -> str:
    match = re.search(rb"^Message-ID:\s*(.+?)\r?$", mime, re.IGNORECASE | re.MULTILINE)
    return match.group(1).decode("ascii", "replace").strip() if match else ""
