"""Refusing requests whose Host header is not ours: the defence against DNS rebinding.

A page on evil.example can make the browser resolve evil.example to 127.0.0.1 and then read
http://evil.example:8025/api/v1/messages as same-origin: binding to loopback does not stop
it, checking the Host header does.
"""

from __future__ import annotations

import ipaddress
import json

from starlette.types import ASGIApp, Receive, Scope, Send

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def allowed_hosts(bind: str, extra: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """Host names the service answers to; None means any (a wildcard bind, chosen on purpose)."""
    if bind in ("0.0.0.0", "::", "") and not extra:  # noqa: S104 - recognising, not binding
        return None
    names = {*LOOPBACK_NAMES, bind.lower(), *(h.lower() for h in extra)}
    return tuple(sorted(names))


def host_name(header: str) -> str:
    """The name part of a Host header: `[::1]:8025` -> `::1`, `Example.com:80` -> `example.com`."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def is_allowed(name: str, allowed: tuple[str, ...]) -> bool:
    if name in allowed or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback and "127.0.0.1" in allowed
    except ValueError:
        return False


class TrustedHosts:
    """ASGI middleware: 421 with a JSON error for a Host that is not allowed."""

    def __init__(self, app: ASGIApp, allowed: tuple[str, ...] | None) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.allowed is None or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        raw = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
        if is_allowed(host_name(raw), self.allowed):
            await self.app(scope, receive, send)
            return
        body = json.dumps(
            {
                "error": {
                    "code": "host_not_allowed",
                    "message": f"this server does not answer to the host {raw!r}; "
                    "add it with --allowed-hosts if it is yours",
                    "field": "Host",
                }
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 421,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
