"""Cross-origin calls to the API from pages of listed origins, as Mailpit's `--api-cors`.

`--api-cors` lists origins as `host[:port]` (a scheme is ignored, the port must match exactly) or
`*` for any (`server/cors.go`). A request whose `Origin` is listed, or is this server itself,
gets Mailpit's CORS headers (the origin echoed, `GET, POST, DELETE, PUT, OPTIONS`, any header);
`OPTIONS` on any `/api/` path answers 200 with an empty body (a preflight), before Basic auth,
which a preflight never carries.

Nothing here lets an unlisted origin do more than before: the cross-site guard still refuses
its writes (`web.middleware.guard`) and its reads get no CORS headers, so a browser keeps the
answer from the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALLOW_METHODS = b"GET, POST, DELETE, PUT, OPTIONS"
_VIEW = re.compile(r"^/view/[a-zA-Z0-9]+\.html$")


def origin_host(origin: str) -> str:
    """`http://Example.com:8080` -> `example.com:8080`; "" when it has no host."""
    try:
        parts = urlsplit(origin if "://" in origin else "http://" + origin)
        return parts.netloc.rpartition("@")[2].lower() if parts.hostname else ""
    except ValueError:
        return ""


@dataclass(frozen=True)
class CORSPolicy:
    """Which other origins may call the API from a browser."""

    any: bool = False
    hosts: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, entries: tuple[str, ...] | list[str]) -> CORSPolicy:
        """Mailpit's reading of `--api-cors`: `*` anywhere allows all; an entry with `*` inside
        or without a host name is ignored."""
        if any(entry.strip() == "*" for entry in entries):
            return cls(any=True)
        hosts = {origin_host(e.strip()) for e in entries if e.strip() and "*" not in e}
        return cls(hosts=frozenset(h for h in hosts if h))

    @property
    def enabled(self) -> bool:
        return self.any or bool(self.hosts)

    def allows(self, origin: str, host: str) -> bool:
        """Whether a page of `origin` may call this server (reached as `host`)."""
        found = origin_host(origin)
        return bool(found) and (found == host.lower() or self.any or found in self.hosts)


def covered(path: str) -> bool:
    """The paths Mailpit's CORS rules apply to: the API and the HTML views."""
    return path.startswith("/api/") or bool(_VIEW.match(path))


class CORS:
    """ASGI middleware: preflights on `/api/`, CORS headers for allowed origins."""

    def __init__(self, app: ASGIApp, policy: CORSPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not covered(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        origin = headers.get(b"origin", b"").decode("latin-1")
        host = headers.get(b"host", b"").decode("latin-1")
        extra: list[tuple[bytes, bytes]] = []
        if origin and self.policy.allows(origin, host):
            extra = [
                (b"access-control-allow-origin", origin.encode("latin-1")),
                (b"access-control-allow-methods", ALLOW_METHODS),
                (b"access-control-allow-headers", b"*"),
            ]
        if scope["method"] == "OPTIONS" and scope["path"].startswith("/api/"):
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"text/plain"),
                        (b"content-length", b"0"),
                        *extra,
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        if not extra:
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)
