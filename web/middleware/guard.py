"""Cross-site defences for the inbox and the API: Origin checks, a CSRF token, optional Basic auth.

- A request that changes state (anything but GET/HEAD/OPTIONS), and the live event stream, is
  refused when it carries an Origin that is not this server: a page elsewhere cannot delete mail
  or read the stream. CI clients send no Origin and are not affected. (The Host header is
  already checked by `hosts.TrustedHosts`, so comparing Origin with Host is sound.)
- The inbox's own forms also carry a token (`X-CSRF-Token`) derived from a per-process secret.
- `--ui-auth-file` turns on Basic auth for every route but /livez and /readyz, compared in
  constant time, except the provider emulators' calls (`web.emulate`): an SDK signs with SigV4
  or sends its Resend key in `Authorization`, so it cannot send Basic credentials as well.
  Browsers resend Basic credentials cross-site, hence the checks above as well.
- WebSockets (`/api/events`) get the same Basic auth and Origin check before they are accepted.
- Origins listed with `--api-cors` (`web.middleware.cors`) count as this server's own on the
  API and the HTML views; any other origin is refused as before.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets

from starlette.types import ASGIApp, Receive, Scope, Send

from mailyard.web.emulate.surfaces import provider_call
from mailyard.web.middleware.cors import CORSPolicy, covered

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
STREAM_PATHS = ("/ui/events",)
OPEN_PATHS = ("/livez", "/readyz", "/_sns/")  # /_sns/: what SNS receivers fetch
# Fetch Metadata destinations of loads an HTML page makes by itself (not fetch() or navigation).
SUBRESOURCES = frozenset(
    {"image", "style", "font", "script", "audio", "video", "track", "object", "embed", "manifest"}
)


def same_site_or_direct(headers: dict[str, str] | object) -> bool:
    """True unless the browser says the request came from another site (Sec-Fetch-Site); CI
    clients send no such header."""
    site = headers.get("sec-fetch-site", "") if hasattr(headers, "get") else ""
    return site in ("", "same-origin", "none")


def csrf_token(secret: bytes) -> str:
    return hmac.new(secret, b"mailyard-csrf", hashlib.sha256).hexdigest()


async def _refuse(
    send: Send, status: int, code: str, message: str, extra: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    body = json.dumps({"error": {"code": code, "message": message, "field": None}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class CrossSiteGuard:
    """ASGI middleware: Basic auth (when configured), Origin checks, the UI's CSRF token."""

    def __init__(
        self,
        app: ASGIApp,
        secret: bytes,
        credentials: dict[str, str] | None = None,
        cors: CORSPolicy | None = None,
    ) -> None:
        self.app = app
        self.token = csrf_token(secret)
        self.credentials = credentials
        self.cors = cors or CORSPolicy()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        path: str = scope["path"]
        method: str = scope["method"]
        if (
            self.credentials is not None
            and not path.startswith(OPEN_PATHS)
            and not provider_call(path, method, headers)
            and not self._authorized(headers)
        ):
            await _refuse(
                send,
                401,
                "unauthorized",
                "this mailyard asks for a user name and password",
                ((b"www-authenticate", b'Basic realm="mailyard", charset="UTF-8"'),),
            )
            return
        destination = headers.get("sec-fetch-dest", "")
        if path.startswith("/api/") and destination in SUBRESOURCES:
            # The API is never an image, a stylesheet or a script: refusing those keeps a
            # captured email's <img src=/api/...> from driving it (long polls, reads).
            await _refuse(send, 403, "not_a_subresource", f"the API does not serve {destination}s")
            return
        checks_origin = method not in SAFE_METHODS or path in STREAM_PATHS
        origin = headers.get("origin")
        if (
            checks_origin
            and origin is not None
            and not self._origin_allowed(origin, headers.get("host", ""), path)
        ):
            await _refuse(send, 403, "cross_site", f"requests from {origin} may not do this")
            return
        if method not in SAFE_METHODS and path.startswith("/ui/"):
            given = headers.get("x-csrf-token", "")
            if not hmac.compare_digest(given.encode(), self.token.encode()):
                await _refuse(
                    send, 403, "csrf", "the page's form token is missing or stale; reload"
                )
                return
        await self.app(scope, receive, send)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Accepted only with the credentials (when asked for) and from an allowed origin;
        otherwise closed before the handshake completes (the client sees 403)."""
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        origin = headers.get("origin")
        refused = (self.credentials is not None and not self._authorized(headers)) or (
            origin is not None
            and not self._origin_allowed(origin, headers.get("host", ""), scope["path"])
        )
        if refused:
            await receive()  # the client's "websocket.connect"
            await send({"type": "websocket.close", "code": 1008})
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _same_origin(origin: str, host: str) -> bool:
        return origin.lower() in (f"http://{host}".lower(), f"https://{host}".lower())

    def _origin_allowed(self, origin: str, host: str, path: str) -> bool:
        if self._same_origin(origin, host):
            return True
        return self.cors.enabled and covered(path) and self.cors.allows(origin, host)

    def _authorized(self, headers: dict[str, str]) -> bool:
        value = headers.get("authorization", "")
        if not value.lower().startswith("basic "):
            return False
        try:
            user, _, password = base64.b64decode(value[6:]).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        expected = (self.credentials or {}).get(user)
        # Compare something even for an unknown user, so timing does not reveal user names.
        reference = expected if expected is not None else secrets.token_hex(16)
        return hmac.compare_digest(reference.encode(), password.encode()) and expected is not None
