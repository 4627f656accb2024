"""The web inbox's pages: inbox, message, preview gallery, status, and the live event stream.

Server-rendered Jinja2 (autoescaped everywhere) with htmx for partial updates. Message actions
(delete, read status) go through the JSON API from the page; the only form this module takes
is the preview gallery's test send, which carries the CSRF token.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from mailyard.renderer import CONCEPTS, SUPPORTED_LOCALES, RenderError, Theme, render
from mailyard.renderer.render import GMAIL_CLIP_BYTES
from mailyard.renderer.samples import sample
from mailyard.sandbox.mail import view as mime
from mailyard.sandbox.mail.links import extract_codes, extract_links
from mailyard.sandbox.mail.summary import html_to_text
from mailyard.sandbox.outbound.mailer import Mailer
from mailyard.sandbox.outbound.routing import DeliveryConfig, choose
from mailyard.sandbox.store import queries
from mailyard.senders import Retrying, SMTPRelay, SMTPSender
from mailyard.web.api.message import HTML_VIEW_CSP, force_scheme
from mailyard.web.api.params import form_body, str_param
from mailyard.web.errors import RequestError
from mailyard.web.middleware.guard import csrf_token
from mailyard.web.samples import sample_theme, sample_theme_names

if TYPE_CHECKING:
    from mailyard.web.app import Context

HERE = Path(__file__).resolve().parent
# The inbox's HTML pages and fragments: documented in the README, not in the API description.
PAGE_PATHS = frozenset(
    {
        "/",
        "/ui/rows",
        "/message/{id}",
        "/preview",
        "/ui/preview/render",
        "/ui/preview/send",
        "/status",
        "/ui/events",
    }
)
HTMX = "htmx-2.0.11.min.js"
PAGE = 50
RASTER = ("image/png", "image/jpeg", "image/gif", "image/webp")
KEEPALIVE = 15.0


def ago(created: str) -> str:
    """`3 min ago`, for a list; the exact time goes in a title attribute."""
    try:
        then = datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return created
    seconds = max(0, int((datetime.now(UTC) - then).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return "just now" if seconds < 10 else f"{seconds} s ago"


def size(n: int) -> str:
    return (
        f"{n} B"
        if n < 1024
        else f"{n / 1024:.1f} KB"
        if n < 1024 * 1024
        else f"{n / 1048576:.1f} MB"
    )


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.without_alt: list[str] = []
        self.count = 0
        self.html_lang = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "img":
            self.count += 1
            if values.get("alt") is None:
                self.without_alt.append(values.get("src") or "")
        elif tag == "html" and values.get("lang"):
            self.html_lang = True


def checks(view: mime.MessageView, links: list[Any]) -> list[dict[str, Any]]:
    """What a reviewer of an auth email wants to know, each with a verdict."""
    images = _Images()
    with contextlib.suppress(Exception):  # HTMLParser is lenient; a failure means fewer findings
        images.feed(view.html)
    html_bytes = len(view.html.encode())
    insecure = [link.url for link in links if link.url.startswith("http://")]
    return [
        {
            "name": "HTML size",
            "ok": html_bytes < GMAIL_CLIP_BYTES,
            "detail": f"{size(html_bytes)} of Gmail's ~102 KB clipping limit",
        },
        {
            "name": "Plain-text part",
            "ok": bool(view.text.strip()),
            "detail": "present"
            if view.text.strip()
            else "missing: some clients and filters need it",
        },
        {
            "name": "Links",
            "ok": not insecure,
            "detail": f"{len(links)} links"
            + (f"; not https: {', '.join(insecure[:3])}" if insecure else ""),
        },
        {
            "name": "Images with alt text",
            "ok": not images.without_alt,
            "detail": f"{images.count} images"
            + (f"; {len(images.without_alt)} without alt" if images.without_alt else ""),
        },
        {
            "name": "Language declared",
            "ok": images.html_lang or not view.html,
            "detail": "lang on <html>" if images.html_lang else "no lang attribute on <html>",
        },
    ]


def _sample_themes() -> dict[str, Theme | None]:
    themes: dict[str, Theme | None] = {"built-in": None}
    for name in sample_theme_names():
        try:
            themes[name] = sample_theme(name)
        except (ValueError, RenderError):  # a broken sample is left out of the gallery
            continue
    return themes


def routes(ctx: Context) -> list[BaseRoute]:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["ago"] = ago
    env.filters["size"] = size
    themes = _sample_themes()

    def page(name: str, request: Request, **values: Any) -> HTMLResponse:
        boxes = queries.mailboxes(ctx.db.reader)
        body = env.get_template(name).render(
            request=request,
            htmx=HTMX,
            csrf=csrf_token(ctx.secret),
            mailboxes=boxes,
            mailbox=str_param(request, "mailbox"),
            **values,
        )
        return HTMLResponse(body, headers=PAGE_HEADERS)

    def listing(
        request: Request, before: int | None = None, after: int | None = None
    ) -> queries.Page:
        return queries.list_page(
            ctx.db.reader,
            mailbox=str_param(request, "mailbox"),
            start=0,
            limit=PAGE,
            query=str_param(request, "q"),
            before=before,
            after=after,
        )

    def seq_param(request: Request, name: str) -> int | None:
        value = request.query_params.get(name)
        if not value:
            return None
        if not value.isdigit():
            raise RequestError(400, f"{name} must be a message cursor", name)
        return int(value)

    async def inbox(request: Request) -> Response:
        result = listing(request)
        return page("inbox.html", request, page=result, q=str_param(request, "q") or "", more=True)

    async def rows(request: Request) -> Response:
        result = listing(
            request, before=seq_param(request, "before"), after=seq_param(request, "after")
        )
        body = env.get_template("_rows.html").render(
            page=result,
            q=str_param(request, "q") or "",
            mailbox=str_param(request, "mailbox"),
            more=request.query_params.get("after") is None,
        )
        headers = {"X-Cursor": str(result.cursor), "X-Unread": str(result.unread), **PAGE_HEADERS}
        return HTMLResponse(body, headers=headers)

    async def message(request: Request) -> Response:
        record = queries.resolve(ctx.db.reader, request.path_params["id"])
        raw = queries.raw(ctx.db.reader, record.summary.seq)
        view = mime.view(raw)
        links = extract_links(view.text, view.html)
        body_text = view.text if view.text.strip() else html_to_text(view.html)
        return page(
            "message.html",
            request,
            m=record.summary,
            record=record,
            view=view,
            links=links,
            codes=extract_codes(record.summary.subject, body_text),
            checks=checks(view, links),
            source=raw[: 2 * 1024 * 1024].decode("utf-8", errors="replace"),
            source_cut=len(raw) > 2 * 1024 * 1024,
        )

    async def inline_part(request: Request) -> Response:
        """Inline images for the HTML view (cid: references); raster images only, never HTML/SVG."""
        record = queries.resolve(ctx.db.reader, request.path_params["id"])
        info, data = mime.part(
            queries.raw(ctx.db.reader, record.summary.seq), request.path_params["part"]
        )
        if info.content_type not in RASTER:
            raise RequestError(404, "only raster images are shown inline")
        return Response(
            data,
            media_type=info.content_type,
            headers={
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "sandbox; default-src 'none'",
                "Cache-Control": "private, max-age=3600",
            },
        )

    async def preview(request: Request) -> Response:
        concept = request.query_params.get("concept", "password-reset")
        if concept not in CONCEPTS:
            raise RequestError(400, f"concept must be one of {', '.join(CONCEPTS)}", "concept")
        return page(
            "preview.html",
            request,
            concepts=list(CONCEPTS),
            concept=concept,
            themes=list(themes),
            locales=SUPPORTED_LOCALES,
        )

    async def preview_render(request: Request) -> Response:
        email = _render_sample(request)
        return Response(
            force_scheme(email.html, request.query_params.get("scheme")),
            media_type="text/html; charset=utf-8",
            headers={
                "Content-Security-Policy": HTML_VIEW_CSP,
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
            },
        )

    def _render_sample(request: Request) -> Any:
        concept = request.query_params.get("concept", "password-reset")
        theme_name = request.query_params.get("theme", "built-in")
        if concept not in CONCEPTS:
            raise RequestError(400, "unknown concept", "concept")
        if theme_name not in themes:
            raise RequestError(400, "unknown theme", "theme")
        return render(
            sample(concept),
            themes[theme_name],
            locale=request.query_params.get("locale"),
            test=True,
        )

    async def preview_send(request: Request) -> Response:
        form = await form_body(request)
        concept, theme_name = form.get("concept", ""), form.get("theme", "built-in")
        locale, to = form.get("locale", "en-US"), form.get("to") or "preview@mailyard.test"
        if concept not in CONCEPTS or theme_name not in themes:
            raise RequestError(400, "unknown concept or theme", "concept")
        mailer = _sandbox_mailer()
        result = await mailer.send(
            sample(concept), to, theme=themes[theme_name], locale=locale, test=True
        )
        body = env.get_template("_sent.html").render(result=result)
        return HTMLResponse(body, status_code=200 if result.outcome == "sent" else 502)

    def _sandbox_mailer() -> Mailer:
        host = ctx.sink_host
        route = choose(
            DeliveryConfig(mode="sandbox", sandbox_host=host, sandbox_port=ctx.smtp_port)
        )
        sender = Retrying(
            SMTPSender(SMTPRelay(host=host, port=ctx.smtp_port, tls="none"), "sandbox"), attempts=2
        )
        return Mailer(route, sender, log_key=ctx.db.log_key, store=ctx.db)

    async def status(request: Request) -> Response:
        route = choose(ctx.delivery)
        return page(
            "status.html",
            request,
            route=route,
            delivery=ctx.delivery,
            log=queries.send_log(ctx.db.reader, limit=50),
            smtp_port=ctx.smtp_port,
            totals=queries.totals(ctx.db.reader, None),
            db=ctx.settings.db,
        )

    async def events(request: Request) -> Response:
        mailbox = str_param(request, "mailbox")

        async def stream() -> AsyncIterator[bytes]:
            yield b"retry: 2000\n\n"
            while not ctx.notifier.closed:
                version = ctx.notifier.version
                changed = await ctx.notifier.wait(version, KEEPALIVE)
                if ctx.notifier.closed:
                    break
                if not changed:
                    yield b": keepalive\n\n"
                    continue
                total, unread = queries.totals(ctx.db.reader, mailbox)
                data = json.dumps(
                    {"cursor": queries.newest_seq(ctx.db.reader), "total": total, "unread": unread}
                )
                yield f"event: messages\ndata: {data}\n\n".encode()

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    return [
        Route("/", inbox, methods=["GET"]),
        Route("/ui/rows", rows, methods=["GET"]),
        Route("/message/{id}", message, methods=["GET"]),
        Route("/view/{id}/part/{part}", inline_part, methods=["GET"]),
        Route("/preview", preview, methods=["GET"]),
        Route("/ui/preview/render", preview_render, methods=["GET"]),
        Route("/ui/preview/send", preview_send, methods=["POST"]),
        Route("/status", status, methods=["GET"]),
        Route("/ui/events", events, methods=["GET"]),
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]


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
