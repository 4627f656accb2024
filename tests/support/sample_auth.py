"""A small auth service of the kind teams write, with the mistakes the checklist looks for.

`sample_app(delivery, flaws=...)` is a Starlette app with MIOSA's paths (/auth/signup,
/auth/password-reset, /auth/password-reset/confirm) that mails its reset links to mailyard as
a user's app would: over SMTP (`delivery` is the SMTP port), or through mailyard's provider
emulation with the providers' own SDKs - `by_ses` (boto3 `sesv2` SendEmail, Simple content),
`by_ses_v1_raw` (boto3 `ses` SendRawEmail, the app's own MIME), `by_resend` (the `resend`
Python SDK). Each flaw is one mistake seen in the field:

- `reusable`: the confirm endpoint never marks a token used;
- `get_consumes`: following the link (GET) uses the token up, so a link scanner's prefetch does;
- `timing_leak`: the reset endpoint looks the user up and sends the mail before it answers;
- `status_leak`: the reset endpoint answers 404 for an unknown address;
- `http_link`: links say http:// although the app's public URL is https://;
- `html_only`: the mail has no text/plain part;
- `not_configured`: no mail provider: the reset answers 200 and nothing is sent;
- `account_interval`: a second reset for an account within a minute is refused with 429
  (GoTrue's per-user resend interval): only addresses with an account are ever limited.

And two things done right: `client_limit`, at most `CLIENT_LIMIT` reset requests in all, then
429 for every address alike (as the reference service's per-client limit, scaled down); and
`brief_limit`, a confirm costs the client a short pause: its next reset request, whatever the
address, is answered 429 with Retry-After 1 (as the reference service's per-client limit does
when several checklist runs share it).
"""

from __future__ import annotations

import asyncio
import secrets
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

FLAWS = (
    "reusable",
    "get_consumes",
    "timing_leak",
    "status_leak",
    "http_link",
    "html_only",
    "not_configured",
    "account_interval",
    "client_limit",
    "brief_limit",
)
CLIENT_LIMIT = 30
LIMITED = {"error": "too many requests"}
HOST = "sample.test"


@dataclass(frozen=True)
class ResetMail:
    """The sample's reset email, in the shapes the ways of sending it need."""

    to: str
    link: str
    html_only: bool = False
    sender: str = "Sample App <no-reply@sample.test>"
    subject: str = "Reset your Sample App password"

    @property
    def html(self) -> str:
        return f'<p>Reset your password:</p><p><a href="{self.link}">Reset password</a></p>'

    @property
    def text(self) -> str | None:
        return None if self.html_only else f"Reset your password: {self.link}\n"

    def mime(self) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = self.to
        message["Subject"] = self.subject
        if self.text is None:
            message.set_content(self.html, subtype="html")
        else:
            message.set_content(self.text)
            message.add_alternative(self.html, subtype="html")
        return message


Delivery = Callable[[ResetMail], None]  # blocking: the app runs it in a thread


def by_smtp(port: int) -> Delivery:
    def deliver(mail: ResetMail) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.send_message(mail.mime())

    return deliver


def _aws(service: str, endpoint_url: str, access_key: str, region: str) -> Any:
    import boto3  # only the samples that send through SES pay for it

    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key="sample-secret",  # any secret: SigV4 is lenient
    )


def by_ses(endpoint_url: str, access_key: str, region: str = "eu-west-1") -> Delivery:
    """boto3 `sesv2.send_email` with Simple content, as BluAuth's sendEmail() does."""
    client = _aws("sesv2", endpoint_url, access_key, region)

    def deliver(mail: ResetMail) -> None:
        body: dict[str, Any] = {"Html": {"Data": mail.html}}
        if mail.text is not None:
            body["Text"] = {"Data": mail.text}
        client.send_email(
            FromEmailAddress=mail.sender,
            Destination={"ToAddresses": [mail.to]},
            Content={"Simple": {"Subject": {"Data": mail.subject}, "Body": body}},
            EmailTags=[{"Name": "source_app", "Value": "sample"}],
        )

    return deliver


def by_ses_v1_raw(endpoint_url: str, access_key: str, region: str = "eu-west-1") -> Delivery:
    """boto3 `ses.send_raw_email` with the app's own MIME (what many frameworks still use);
    sender and recipients come from its headers."""
    client = _aws("ses", endpoint_url, access_key, region)

    def deliver(mail: ResetMail) -> None:
        client.send_raw_email(RawMessage={"Data": mail.mime().as_bytes()})

    return deliver


def by_resend() -> Delivery:
    """The `resend` Python SDK, configured the SDK's way: `resend.api_key`, and `resend.api_url`
    (or RESEND_API_URL, read when the SDK is imported) pointing at mailyard. Both are module
    globals: a test sets them with monkeypatch, as an app sets them once at start."""
    import resend

    def deliver(mail: ResetMail) -> None:
        params: dict[str, Any] = {
            "from": mail.sender,
            "to": [mail.to],
            "subject": mail.subject,
            "html": mail.html,
        }
        if mail.text is not None:
            params["text"] = mail.text
        resend.Emails.send(params)  # type: ignore[arg-type]

    return deliver


def sample_app(
    delivery: int | Delivery, *flaws: str, public_url: str = f"http://{HOST}"
) -> Starlette:
    """The app, reached at `public_url` (mount it there), its links built on that URL; it
    sends with `delivery` (an int: SMTP to that port on loopback)."""
    unknown = set(flaws) - set(FLAWS)
    assert not unknown, unknown
    users: dict[str, str] = {}
    tokens: dict[str, dict[str, Any]] = {}
    pending: set[asyncio.Task[None]] = set()
    deliver = by_smtp(delivery) if isinstance(delivery, int) else delivery
    public = public_url.replace("https://", "http://") if "http_link" in flaws else public_url

    async def signup(request: Request) -> Response:
        body = await request.json()
        users[body["email"].lower()] = body["password"]
        return JSONResponse({"ok": True}, status_code=201)

    async def mail_reset(email: str) -> None:
        token = secrets.token_urlsafe(24)
        tokens[token] = {"email": email, "used": False}
        link = f"{public}/auth/password-reset/confirm?token={token}"
        if "not_configured" in flaws:
            return  # "email_not_configured": logged, nothing sent
        await asyncio.to_thread(deliver, ResetMail(email, link, "html_only" in flaws))

    requests = 0
    last_mail: dict[str, float] = {}
    paused = False  # brief_limit: a confirm was made since the last reset request

    async def reset(request: Request) -> Response:
        nonlocal requests, paused
        email = (await request.json())["email"].lower()
        requests += 1
        if paused:
            paused = False
            return JSONResponse(LIMITED, status_code=429, headers={"retry-after": "1"})
        if "client_limit" in flaws and requests > CLIENT_LIMIT:
            return JSONResponse(LIMITED, status_code=429, headers={"retry-after": "60"})
        if "account_interval" in flaws and email in users:
            now = time.monotonic()
            if now - last_mail.get(email, -60.0) < 60:
                return JSONResponse(LIMITED, status_code=429, headers={"retry-after": "60"})
            last_mail[email] = now
        if email not in users:
            if "status_leak" in flaws:
                return JSONResponse({"error": "no such user"}, status_code=404)
            return JSONResponse({"ok": True})
        if "timing_leak" in flaws:
            await mail_reset(email)  # on the request path
            return JSONResponse({"ok": True})
        # Off the request path, as a sound service does it: a task of its own (a background
        # task would do over a socket, but an in-process ASGI transport waits for those).
        task = asyncio.get_running_loop().create_task(mail_reset(email))
        pending.add(task)
        task.add_done_callback(pending.discard)
        return JSONResponse({"ok": True})

    async def confirm_page(request: Request) -> Response:
        token = request.query_params.get("token", "")
        if "get_consumes" in flaws and token in tokens:
            tokens[token]["used"] = True  # "one click resets": the scanner clicked first
        return HTMLResponse("<form method=post><input name=password></form>")

    async def confirm(request: Request) -> Response:
        nonlocal paused
        paused = "brief_limit" in flaws
        body = await request.json()
        entry = tokens.get(body.get("token", ""))
        if entry is None or entry["used"]:
            return JSONResponse({"error": "invalid or used token"}, status_code=400)
        if "reusable" not in flaws:
            entry["used"] = True
        users[entry["email"]] = body.get("password", "")
        return JSONResponse({"ok": True})

    app = Starlette(
        routes=[
            Route("/auth/signup", signup, methods=["POST"]),
            Route("/auth/password-reset", reset, methods=["POST"]),
            Route("/auth/password-reset/confirm", confirm_page, methods=["GET"]),
            Route("/auth/password-reset/confirm", confirm, methods=["POST"]),
        ]
    )
    app.state.pending = pending  # sends still on their way: a test waits for them to finish
    return app
