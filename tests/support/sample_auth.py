"""A small auth service of the kind teams write, with the mistakes the checklist looks for.

`sample_app(smtp_port, flaws=...)` is a Starlette app with MIOSA's paths (/auth/signup,
/auth/password-reset, /auth/password-reset/confirm) that mails its reset links to mailyard over
SMTP, as a user's app would. Each flaw is one mistake seen in the field:

- `reusable`: the confirm endpoint never marks a token used;
- `get_consumes`: following the link (GET) uses the token up, so a link scanner's prefetch does;
- `timing_leak`: the reset endpoint looks the user up and sends the mail before it answers;
- `status_leak`: the reset endpoint answers 404 for an unknown address;
- `http_link`: links say http:// although the app's public URL is https://;
- `html_only`: the mail has no text/plain part;
- `not_configured`: no mail provider: the reset answers 200 and nothing is sent.
"""

from __future__ import annotations

import asyncio
import secrets
import smtplib
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
)
HOST = "sample.test"


def _send(smtp_port: int, to: str, link: str, html_only: bool) -> None:
    message = EmailMessage()
    message["From"] = "Sample App <no-reply@sample.test>"
    message["To"] = to
    message["Subject"] = "Reset your Sample App password"
    html = f'<p>Reset your password:</p><p><a href="{link}">Reset password</a></p>'
    if html_only:
        message.set_content(html, subtype="html")
    else:
        message.set_content(f"Reset your password: {link}\n")
        message.add_alternative(html, subtype="html")
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as smtp:
        smtp.send_message(message)


def sample_app(smtp_port: int, *flaws: str, public_url: str = f"http://{HOST}") -> Starlette:
    """The app, reached at `public_url` (mount it there), its links built on that URL."""
    unknown = set(flaws) - set(FLAWS)
    assert not unknown, unknown
    users: dict[str, str] = {}
    tokens: dict[str, dict[str, Any]] = {}
    pending: set[asyncio.Task[None]] = set()
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
        await asyncio.to_thread(_send, smtp_port, email, link, "html_only" in flaws)

    async def reset(request: Request) -> Response:
        email = (await request.json())["email"].lower()
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
