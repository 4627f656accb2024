"""The inbox's templates: one Jinja2 environment (autoescaped everywhere), its filters, and the
headers every page carries."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from mailyard.web.middleware.guard import csrf_token
from mailyard.web.services import services

HERE = Path(__file__).resolve().parent
HTMX = "htmx-2.0.11.min.js"

# Our own pages: scripts only from us, no framing by others, no referrer to links in mail.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@jinja2.pass_context
def ago(context: jinja2.runtime.Context, created: str) -> str:
    """`3 min ago`, for a list; the exact time goes in a title attribute."""
    try:
        then = datetime.fromisoformat(created.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return created
    seconds = max(0, int(float(context.get("now", then)) - then))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return "just now" if seconds < 10 else f"{seconds} s ago"


def size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1048576:.1f} MB"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["ago"] = ago
    env.filters["size"] = size
    return env


TEMPLATES = _environment()


def fragment(
    name: str, status: int = 200, headers: dict[str, str] | None = None, **values: Any
) -> HTMLResponse:
    """A template rendered alone (an htmx fragment)."""
    body = TEMPLATES.get_template(name).render(**values)
    return HTMLResponse(body, status_code=status, headers={**PAGE_HEADERS, **(headers or {})})


def page(name: str, request: Request, **values: Any) -> HTMLResponse:
    """A full page: the template with what the layout needs (mailboxes, CSRF token, time)."""
    svc = services(request)
    mailbox = request.query_params.get("mailbox") or None
    body = TEMPLATES.get_template(name).render(
        request=request,
        htmx=HTMX,
        csrf=csrf_token(svc.secret),
        mailboxes=svc.store.messages.mailboxes(),
        mailbox=mailbox,
        now=svc.clock.now(),
        **values,
    )
    return HTMLResponse(body, headers=PAGE_HEADERS)
