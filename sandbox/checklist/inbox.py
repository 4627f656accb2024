"""The checklist's view of mailyard, through its HTTP API only: the mail that arrived, the
links in it, the send log, the simulator's provider events, the clock.

Everything goes over HTTP through the injected client, so the checklist reads a mailyard in
this process, another process or a CI service container alike. Mail is looked for in every
mailbox unless `--mailbox` names one: mail that came through the provider emulation lands in a
mailbox of its own (SES: the access key id; Resend: `resend-` and a hash of the key), which
the checklist reports with the message. Routes that this mailyard does
not serve (an older version, the simulator off) answer None rather than raising: a check then
says "not verifiable here" and why.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from mailyard.sandbox.mail.view import MessageView, view_message

MAX_WAIT = 300.0
MAX_RAW = 16 * 2**20  # an auth email is tens of KB; a bigger one is read no further


class MailyardError(Exception):
    """mailyard did not answer as its API says it should."""


@dataclass(frozen=True)
class Arrived:
    """A message that reached mailyard: its summary, and its links, action link first."""

    id: str
    subject: str
    cursor: str
    links: tuple[dict[str, Any], ...]
    mailbox: str = ""  # "" for mail that came by SMTP without a login

    def action_link(self) -> dict[str, Any] | None:
        """The first link with a token (mailyard ranks the action link first)."""
        return next((link for link in self.links if link.get("token")), None)


class Inbox:
    def __init__(self, http: httpx.AsyncClient, base: str, mailbox: str | None = None) -> None:
        self._http = http
        self.base = base.rstrip("/")
        self._mailbox = mailbox

    @property
    def mailbox(self) -> str | None:
        return self._mailbox

    async def _get(self, path: str, **params: Any) -> httpx.Response:
        try:
            return await self._http.get(self.base + path, params=params or None)
        except httpx.HTTPError as exc:
            raise MailyardError(f"mailyard does not answer at {self.base}: {exc}") from None

    async def _json(self, path: str, **params: Any) -> dict[str, Any]:
        response = await self._get(path, **params)
        if response.status_code != 200:
            raise MailyardError(
                f"GET {path} answered {response.status_code}: {response.text[:200]}"
            )
        data = response.json()
        if not isinstance(data, dict):
            raise MailyardError(f"GET {path} answered something other than a JSON object")
        return data

    async def ready(self) -> bool:
        try:
            return (await self._get("/readyz")).status_code == 200
        except MailyardError:
            return False

    async def cursor(self) -> str:
        return str((await self._json("/api/v1/messages/cursor"))["cursor"])

    async def wait(
        self, query: str, after: str, timeout: float, *, anywhere: bool = False
    ) -> Arrived | None:
        """The first message after `after` that matches `query`, or None within `timeout`;
        in the --mailbox given, or with `anywhere` (or none given) in every mailbox."""
        params: dict[str, Any] = {"query": query, "after": after, "timeout": min(timeout, MAX_WAIT)}
        if self._mailbox and not anywhere:
            params["mailbox"] = self._mailbox
        response = await self._get("/api/v1/messages/wait", **params)
        if response.status_code == 408:
            return None
        if response.status_code != 200:
            raise MailyardError(
                f"waiting for mail answered {response.status_code}: {response.text[:200]}"
            )
        summary = response.json()
        links = await self._json(f"/api/v1/message/{summary['ID']}/links")
        return Arrived(
            id=str(summary["ID"]),
            subject=str(summary.get("Subject", "")),
            cursor=str(summary.get("cursor", after)),
            links=tuple(links.get("links", [])),
            mailbox=str(summary.get("Mailbox") or ""),
        )

    async def parts(self, message_id: str) -> MessageView:
        """The message's bodies as its parts hold them: `text` is empty when it has no
        text/plain part (Mailpit's JSON fills Text from the HTML then, which would hide it)."""
        response = await self._get(f"/api/v1/message/{message_id}/raw")
        if response.status_code != 200:
            raise MailyardError(f"the message's source answered {response.status_code}")
        if len(response.content) > MAX_RAW:
            raise MailyardError(f"the message is larger than {MAX_RAW // 2**20} MiB")
        return view_message(response.content)

    async def send_log(self, concept: str, limit: int = 100) -> list[dict[str, Any]] | None:
        """The send log's newest entries of `concept`; None when this mailyard has none."""
        response = await self._get("/api/v1/send-log", concept=concept, limit=limit)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise MailyardError(f"the send log answered {response.status_code}")
        return list(response.json().get("entries", []))

    async def newest_send_id(self, concept: str) -> int:
        entries = await self.send_log(concept, limit=1)
        return int(entries[0]["id"]) if entries else 0

    async def send_after(self, concept: str, after: int, timeout: float) -> dict[str, Any] | None:
        """The first send-log entry of `concept` newer than `after`, polled until `timeout`
        (the send happens after the endpoint's answer)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        delay = 0.01
        while True:
            entries = await self.send_log(concept) or []
            newer = [e for e in entries if int(e.get("id", 0)) > after]
            if newer:
                return min(newer, key=lambda e: int(e["id"]))
            if loop.time() >= deadline:
                return None
            await asyncio.sleep(min(delay, max(0.0, deadline - loop.time())))
            delay = min(delay * 2, 0.2)

    async def events(self, message_id: str, timeout: float) -> list[dict[str, Any]] | None:
        """The simulator's provider events of a message, polled until some exist or `timeout`
        passes; None when this mailyard serves no events."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            response = await self._get(f"/api/v1/message/{message_id}/events")
            if response.status_code == 404:
                return None
            if response.status_code != 200:
                raise MailyardError(f"the message's events answered {response.status_code}")
            events = list(response.json().get("events", []))
            if events or loop.time() >= deadline:
                return events
            await asyncio.sleep(0.05)

    async def advance_clock(self, seconds: float) -> tuple[bool, str]:
        """Move mailyard's clock; (False, why) when it cannot (no route, not movable)."""
        try:
            response = await self._http.post(
                self.base + "/api/v1/clock/advance", json={"seconds": seconds}
            )
        except httpx.HTTPError as exc:
            raise MailyardError(f"mailyard does not answer at {self.base}: {exc}") from None
        if response.status_code == 200:
            return True, ""
        if response.status_code in (404, 405):
            return False, "this mailyard has no clock control (POST /api/v1/clock/advance)"
        try:
            error = response.json()["error"]
            code, message = str(error.get("code", "")), str(error["message"])
        except (ValueError, KeyError, TypeError, AttributeError):
            code, message = "", response.text[:200]
        if code == "clock_not_movable":
            # Its message says to start mailyard with --clock-control, which the caller's
            # advice says too: keep the fact, not the advice, so it is said once.
            return False, "mailyard's clock follows the real time and cannot be moved"
        return False, message
