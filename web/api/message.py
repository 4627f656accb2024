"""Routes over one message: summary, headers, raw source, parts, links, codes, rendered views."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mailyard.sandbox.mail import view as mime
from mailyard.sandbox.mail.links import extract_codes, extract_links
from mailyard.sandbox.mail.summary import html_to_text
from mailyard.sandbox.store import queries
from mailyard.sandbox.store.records import MessageRecord
from mailyard.web.api import shapes
from mailyard.web.api.params import str_param

if TYPE_CHECKING:
    from mailyard.web.app import Context

# Captured HTML is hostile: served on its own with a CSP sandbox, never with our origin's rights.
HTML_VIEW_CSP = (
    "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; "
    "style-src 'unsafe-inline'; img-src 'self' data:; font-src data:; form-action 'none'; "
    "base-uri 'none'; frame-ancestors 'self'"
)
# The reader asked to load remote content for this view: images, CSS and fonts from anywhere,
# still no scripts, forms or plugins.
HTML_VIEW_REMOTE_CSP = (
    "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; "
    "style-src * 'unsafe-inline'; img-src * data:; font-src * data:; form-action 'none'; "
    "base-uri 'none'; frame-ancestors 'self'"
)
_SAFE_FILENAME = re.compile(r"[^A-Za-z0-9._ -]+")


_CID = re.compile(r"""(src\s*=\s*["']?)cid:([^"'\s>]+)""", re.IGNORECASE)


def rewrite_cids(html: str, message_id: str, parts: dict[str, str]) -> str:
    """Point `cid:` images at the inline-part route; unknown ids stay (and load nothing)."""

    def replace(match: re.Match[str]) -> str:
        part = parts.get(match.group(2).strip("<>"))
        return f"{match.group(1)}/view/{message_id}/part/{part}" if part else match.group(0)

    return _CID.sub(replace, html)


_SCHEME_QUERY = re.compile(r"\(\s*prefers-color-scheme\s*:\s*(dark|light)\s*\)", re.IGNORECASE)


def force_scheme(html: str, scheme: str | None) -> str:
    """Preview the email's own light or dark styles whatever the reader's system prefers: its
    `prefers-color-scheme` queries become always or never true (the view is derived; the stored
    message is untouched)."""
    if scheme not in ("dark", "light"):
        return html

    def replace(match: re.Match[str]) -> str:
        return "(min-width: 0px)" if match.group(1).lower() == scheme else "(max-width: 0px)"

    return _SCHEME_QUERY.sub(replace, html)


def content_disposition(name: str, fallback: str) -> str:
    """`attachment` with an ASCII-safe filename and the full name as RFC 8187 `filename*`."""
    plain = safe_filename(name, fallback)
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    readable = "".join(c for c in base if c.isprintable() and c not in '"\r\n').strip(" .")[:150]
    if readable and readable != plain:
        return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(readable, safe='')}"
    return f'attachment; filename="{plain}"'


def safe_filename(name: str, fallback: str) -> str:
    cleaned = _SAFE_FILENAME.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")
    return cleaned[:150] or fallback


def routes(ctx: Context) -> list[Route]:
    def record(request: Request) -> MessageRecord:
        return queries.resolve(
            ctx.db.reader, request.path_params["id"], str_param(request, "mailbox")
        )

    def raw_of(rec: MessageRecord) -> bytes:
        return queries.raw(ctx.db.reader, rec.summary.seq)

    async def get_message(request: Request) -> Response:
        rec = record(request)
        view = mime.view(raw_of(rec))
        if not rec.summary.read:  # Mailpit marks a message read when it is opened
            await ctx.db.set_read(True, [rec.summary.id], None, None)
        return JSONResponse(shapes.message(rec, view))

    async def get_headers(request: Request) -> Response:
        view = mime.view(raw_of(record(request)))
        return JSONResponse(shapes.headers(view))

    async def get_raw(request: Request) -> Response:
        rec = record(request)
        headers = {"X-Content-Type-Options": "nosniff"}
        if request.query_params.get("dl"):
            headers["Content-Disposition"] = f'attachment; filename="{rec.summary.id}.eml"'
        return Response(raw_of(rec), media_type="text/plain; charset=utf-8", headers=headers)

    async def get_part(request: Request) -> Response:
        rec = record(request)
        info, data = mime.part(raw_of(rec), request.path_params["part"])
        return Response(
            data,
            media_type=info.content_type
            if "/" in info.content_type
            else "application/octet-stream",
            headers={
                "Content-Disposition": content_disposition(info.filename, f"part-{info.part_id}"),
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "sandbox; default-src 'none'",
            },
        )

    async def get_links(request: Request) -> Response:
        rec = record(request)
        view = mime.view(raw_of(rec))
        links = extract_links(view.text, view.html)
        return JSONResponse({"ID": rec.summary.id, "links": [link.as_json() for link in links]})

    async def get_codes(request: Request) -> Response:
        rec = record(request)
        view = mime.view(raw_of(rec))
        body = view.text if view.text.strip() else html_to_text(view.html)
        codes = extract_codes(rec.summary.subject, body)
        return JSONResponse({"ID": rec.summary.id, "codes": [c.as_json() for c in codes]})

    async def view_html(request: Request) -> Response:
        rec = record(request)
        view = mime.view(raw_of(rec))
        inline = {p.content_id: p.part_id for p in view.inline + view.attachments if p.content_id}
        remote = request.query_params.get("remote") == "1"
        return Response(
            force_scheme(
                rewrite_cids(view.html, rec.summary.id, inline), request.query_params.get("scheme")
            ),
            media_type="text/html; charset=utf-8",
            headers={
                "Content-Security-Policy": HTML_VIEW_REMOTE_CSP if remote else HTML_VIEW_CSP,
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
            },
        )

    async def view_text(request: Request) -> Response:
        view = mime.view(raw_of(record(request)))
        return Response(
            view.text,
            media_type="text/plain; charset=utf-8",
            headers={"X-Content-Type-Options": "nosniff"},
        )

    return [
        Route("/api/v1/message/{id}", get_message, methods=["GET"]),
        Route("/api/v1/message/{id}/headers", get_headers, methods=["GET"]),
        Route("/api/v1/message/{id}/raw", get_raw, methods=["GET"]),
        Route("/api/v1/message/{id}/part/{part}", get_part, methods=["GET"]),
        Route("/api/v1/message/{id}/links", get_links, methods=["GET"]),
        Route("/api/v1/message/{id}/codes", get_codes, methods=["GET"]),
        Route("/view/{id}.html", view_html, methods=["GET"]),
        Route("/view/{id}.txt", view_text, methods=["GET"]),
    ]
