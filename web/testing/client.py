"""mailyard's API as the plugin uses it: the cursor, the long poll, one message's parts, and
deleting by ID. Every call is one request; nothing is cached here (`message.Message` caches)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from mailyard.web.testing.errors import ServiceError
from mailyard.web.testing.transport import Reply, Transport

REQUEST_TIMEOUT = 30.0  # one short request; long polls add their own wait to it
WAIT_MARGIN = 5.0  # a long poll's socket waits this much longer than the server does
MAX_WAIT = 300.0  # the server's bound on one long poll (`web.api.messages.MAX_WAIT`)
PAGE = 500
MAX_IDS = 100_000  # bounded work: a cleanup lists at most this many messages
DELETE_BATCH = 500


@dataclass(frozen=True)
class Arrival:
    """A message the long poll answered with: its summary (Mailpit's shape) and its cursor."""

    summary: dict[str, Any]
    cursor: str


class MailyardClient:
    """Typed calls to one mailyard over an injected transport."""

    def __init__(self, transport: Transport, max_wait: float = MAX_WAIT) -> None:
        self.transport = transport
        self.max_wait = max_wait  # the longest one long poll may last; longer waits ask again

    def close(self) -> None:
        self.transport.close()

    def _call(self, method: str, path: str, body: Any = None, timeout: float = 0) -> Reply:
        data = None if body is None else json.dumps(body).encode()
        return self.transport.request(method, path, data, timeout or REQUEST_TIMEOUT)

    def _json(self, path: str, what: str) -> Any:
        reply = self._call("GET", path)
        if reply.status == 404:
            raise ServiceError(f"{what} is not in mailyard (deleted, or never stored)")
        _check(reply, path)
        return reply.json()

    def info(self) -> dict[str, Any]:
        found = self._json("/api/v1/info", "the service information")
        if not isinstance(found, dict):
            raise ServiceError("/api/v1/info did not answer a JSON object: is this mailyard?")
        return found

    def cursor(self) -> str:
        """The store's cursor now: `wait(after=...)` sees only mail committed later."""
        return str(self._json("/api/v1/messages/cursor", "the cursor")["cursor"])

    def wait(
        self, *, after: str, query: str, mailbox: str | None, timeout: float
    ) -> Arrival | None:
        """The oldest message newer than `after` that matches `query` (in `mailbox`, if given),
        as soon as it is committed; None when `timeout` seconds pass first."""
        timeout = min(max(timeout, 0.0), self.max_wait)
        params = {"after": after, "query": query, "timeout": f"{timeout:.3f}"}
        if mailbox:
            params["mailbox"] = mailbox
        path = "/api/v1/messages/wait?" + urlencode(params)
        reply = self._call("GET", path, timeout=timeout + WAIT_MARGIN)
        if reply.status == 408:
            return None
        _check(reply, path)
        found = reply.json()
        return Arrival(found, str(found["cursor"]))

    def message(self, id_: str) -> dict[str, Any]:
        """Mailpit's message: headers summarised, `HTML`, `Text`, parts."""
        return dict(self._json(f"/api/v1/message/{quote(id_)}", f"message {id_}"))

    def headers(self, id_: str) -> dict[str, list[str]]:
        return dict(self._json(f"/api/v1/message/{quote(id_)}/headers", f"message {id_}"))

    def raw(self, id_: str) -> bytes:
        path = f"/api/v1/message/{quote(id_)}/raw"
        reply = self._call("GET", path)
        _check(reply, path)
        return reply.body

    def links(self, id_: str) -> list[dict[str, Any]]:
        return list(self._json(f"/api/v1/message/{quote(id_)}/links", f"message {id_}")["links"])

    def codes(self, id_: str) -> list[dict[str, Any]]:
        return list(self._json(f"/api/v1/message/{quote(id_)}/codes", f"message {id_}")["codes"])

    def events(self, id_: str) -> list[dict[str, Any]]:
        found = self._json(f"/api/v1/message/{quote(id_)}/events", f"message {id_}")
        return list(found["events"])

    def ids(self, *, query: str | None = None, mailbox: str | None = None) -> list[str]:
        """The IDs of every message matching `query` (a search) or in `mailbox`."""
        found: list[str] = []
        while len(found) < MAX_IDS:
            params: dict[str, str | int] = {"start": len(found), "limit": PAGE}
            if mailbox:
                params["mailbox"] = mailbox
            if query:
                params["query"] = query
            path = ("/api/v1/search?" if query else "/api/v1/messages?") + urlencode(params)
            reply = self._call("GET", path)
            _check(reply, path)
            page = [m["ID"] for m in reply.json()["messages"]]
            found += page
            if len(page) < PAGE:
                break
        return found

    def delete(self, ids: Iterable[str]) -> None:
        """Delete exactly these messages. Never called with none: an empty list asks the
        server to delete every message."""
        listed = list(ids)
        for start in range(0, len(listed), DELETE_BATCH):
            batch = listed[start : start + DELETE_BATCH]
            if batch:
                reply = self._call("DELETE", "/api/v1/messages", {"IDs": batch})
                _check(reply, "/api/v1/messages")


def _check(reply: Reply, path: str) -> None:
    if 200 <= reply.status < 300:
        return
    detail = reply.body[:300].decode("utf-8", "replace").strip()
    try:
        error = json.loads(reply.body).get("error")
        detail = error.get("message", detail) if isinstance(error, dict) else detail
    except (ValueError, AttributeError):
        pass
    raise ServiceError(f"mailyard answered {reply.status} to {path[:120]}: {detail}")
