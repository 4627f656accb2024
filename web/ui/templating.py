"""The inbox's templates: one Jinja2 environment (autoescaped everywhere), its filters, and the
headers every page carries."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse

from mailyard.web.middleware.guard import csrf_token
from mailyard.web.services import services

if TYPE_CHECKING:
    import jinja2
    import jinja2.runtime

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


def _parse(iso: str) -> datetime | None:
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None


def relative(seconds: float) -> str:
    """`3 min ago`. app.js (`ago`) says the same thing the same way as time passes."""
    seconds = max(0, int(seconds))
    for unit, length in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= length:
            return f"{seconds // length} {unit} ago"
    return "just now" if seconds < 10 else f"{seconds} s ago"


def ago(context: jinja2.runtime.Context, created: str) -> str:
    """`3 min ago`, for a list; the exact time goes in a title attribute."""
    then = _parse(created)
    if then is None:
        return created
    return relative(float(context.get("now", then.timestamp())) - then.timestamp())


def readable(iso: str) -> str:
    """`Thu 3 Dec 2026, 11:32 UTC`: a date a person reads at a glance, in the offset it was
    written with (the exact value belongs in a title). app.js shows it in the reader's zone."""
    when = _parse(iso)
    if when is None:
        return iso
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    offset = when.utcoffset()
    zone = "UTC" if not offset else when.strftime("%z")[:3] + ":" + when.strftime("%z")[3:]
    return f"{when:%a} {when.day} {when:%b %Y, %H:%M} {zone}"


def size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1048576:.1f} MB"


def plural(n: int, one: str, many: str | None = None) -> str:
    """`1 link`, `2 links`: a count that reads right."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def listing_query(mailbox: str | None, q: str | None) -> str:
    """`?mailbox=…&q=…` (or ""): the listing a page was opened from, carried from page to page."""
    pairs = [(name, value) for name, value in (("mailbox", mailbox), ("q", q)) if value]
    return "?" + urlencode(pairs) if pairs else ""


@cache
def templates() -> jinja2.Environment:
    """The inbox's templates (Jinja is imported by the first page, not at start-up)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["ago"] = jinja2.pass_context(ago)
    env.filters["readable"] = readable
    env.filters["size"] = size
    env.filters["plural"] = plural
    env.globals["listing_query"] = listing_query
    return env


def fragment(
    name: str, status: int = 200, headers: dict[str, str] | None = None, **values: Any
) -> HTMLResponse:
    """A template rendered alone (an htmx fragment)."""
    body = templates().get_template(name).render(**values)
    return HTMLResponse(body, status_code=status, headers={**PAGE_HEADERS, **(headers or {})})


def page(name: str, request: Request, status: int = 200, **values: Any) -> HTMLResponse:
    """A full page: the template with what the layout needs (mailboxes, CSRF token, time)."""
    svc = services(request)
    values.setdefault("mailbox", request.query_params.get("mailbox") or None)
    body = (
        templates()
        .get_template(name)
        .render(
            request=request,
            htmx=HTMX,
            csrf=csrf_token(svc.secret),
            mailboxes=svc.store.messages.mailboxes(),
            now=svc.clock.now(),
            **values,
        )
    )
    return HTMLResponse(body, status_code=status, headers=PAGE_HEADERS)
