"""One checklist run: the target, the clients, the test user, and what each step hands on.

Steps are functions of a `Run` returning a `Result`; what a later step needs (the reset email,
its link, the send-log entry) is kept here, and a step that finds it missing reports "not run"
naming the step that should have provided it.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from mailyard.sandbox.checklist.inbox import Arrived, Inbox
from mailyard.sandbox.checklist.patience import Patient, patiently
from mailyard.sandbox.checklist.report import Looked, Result, Status
from mailyard.sandbox.checklist.target import ChecklistTarget

USER_AGENT = "mailyard-checklist"
# Subjects that name a password reset, in the languages the renderer speaks; a service whose
# subject says none of these gives --reset-subject.
RESET_WORDS = ("reset", "password", "passwort", "mot de passe", "contraseña", "senha", "wachtwoord")


@dataclass(frozen=True)
class Spec:
    number: str
    key: str
    title: str

    def result(
        self,
        status: Status,
        reason: str,
        message: Looked | None = None,
        **details: object,
    ) -> Result:
        return Result(self.number, self.key, self.title, status, reason, message, dict(details))

    def passed(self, reason: str, message: Looked | None = None, **details: object) -> Result:
        return self.result(Status.PASS, reason, message, **details)

    def failed(self, reason: str, message: Looked | None = None, **details: object) -> Result:
        return self.result(Status.FAIL, reason, message, **details)

    def not_verifiable(
        self, reason: str, message: Looked | None = None, **details: object
    ) -> Result:
        return self.result(Status.NOT_VERIFIABLE, reason, message, **details)

    def not_run(self, reason: str) -> Result:
        return self.result(Status.NOT_RUN, reason)


@dataclass
class Run:
    target: ChecklistTarget
    http: httpx.AsyncClient
    inbox: Inbox
    timer: Callable[[], float]
    rng: random.Random
    user: str
    password: str
    new_password: str
    reset_subject: str | None = None
    settings: dict[str, Any] | None = None  # the built-in service's /auth/settings
    public_url: str = ""
    reset_ttl: float = 3600.0
    signed_up: bool = False
    cursor: str = ""  # the inbox cursor just before the reset request
    send_baseline: int = 0  # the send log's newest id before the reset request
    sent: dict[str, Any] | None = None  # the send-log entry of the reset (built-in service)
    reset_mail: Arrived | None = None
    mail_checked: bool = False  # step 4 or 6 looked for the reset email
    token_link: dict[str, Any] | None = None
    skipped: list[str] = field(default_factory=list)
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep  # waits for Retry-After
    now: Callable[[], float] = time.time  # the wall clock, for a Retry-After HTTP date

    async def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return await self.http.post(
            self.target.url(path), json=body, headers={"user-agent": USER_AGENT}
        )

    async def request_reset(self, address: str) -> httpx.Response:
        return await self.post(self.target.reset_path, {self.target.email_field: address})

    async def reset_patiently(self, address: str) -> Patient:
        """A reset request that waits out a rate limit it can afford (`patience`)."""
        return await patiently(lambda: self.request_reset(address), self.sleep, self.now)

    async def confirm(self, token: str, password: str) -> httpx.Response:
        target = self.target
        return await self.post(
            target.confirm_path,
            {target.token_field: token, target.new_password_field: password},
        )

    def is_reset(self, subject: str) -> bool:
        lowered = subject.lower()
        if self.reset_subject:
            return self.reset_subject.lower() in lowered
        return any(word in lowered for word in RESET_WORDS)

    async def reset_mail_after(self, cursor: str) -> Arrived | None:
        """The first reset email to the test user after `cursor`, within the timeout; other
        mail to the user (a confirmation sent late) is skipped and remembered."""
        loop_timer = self.timer
        deadline = loop_timer() + self.target.timeout
        after = cursor
        while True:
            left = deadline - loop_timer()
            if left <= 0:
                return None
            found = await self.inbox.wait(f"to:{self.user}", after, left)
            if found is None:
                return None
            if self.is_reset(found.subject):
                return found
            self.skipped.append(found.subject)
            after = found.cursor


def looked(mail: Arrived | None, url: str = "") -> Looked | None:
    return Looked(mail.id, mail.subject, url, mail.mailbox) if mail is not None else None


def describe_response(response: httpx.Response) -> str:
    """`410 token_used` / `200` / `404 {"detail": ...}`: a response in a few words."""
    code = ""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict):
            code = str(error.get("code") or error.get("message") or "")
        elif isinstance(error, str):
            code = error
        elif isinstance(data.get("message"), str) and response.status_code >= 400:
            code = data["message"]
    elif response.status_code >= 400:
        code = response.text[:80].strip()
    retry = response.headers.get("retry-after", "")
    if response.status_code == 429 and retry:
        code += f" (Retry-After {retry} s)" if retry.isdigit() else f" (Retry-After {retry[:40]})"
    return f"{response.status_code} {code}".strip()
