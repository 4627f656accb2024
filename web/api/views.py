"""The message's bodies as a browser sees them: `/view/{ID}.html` in a CSP sandbox, `.txt`, and
the inline images its HTML points at.

Captured HTML is hostile: it is served on its own, with a CSP `sandbox` (no scripts, no
same-origin rights) and `default-src 'none'`; remote images, CSS and fonts load only when the
reader asks for them (`remote=1`). Inline images come only from this message's own parts, and
only raster types: never HTML or SVG.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response

from mailyard.sandbox import MessageView, message_part, view_message
from mailyard.web.api.describe import ID, MAILBOX, NOT_FOUND, operation, path, query, text_response
from mailyard.web.api.params import str_param
from mailyard.web.errors import RequestError
from mailyard.web.services import services

HTML_VIEW_CSP = (
    "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; "
    "style-src 'unsafe-inline'; img-src data:; font-src data:; form-action 'none'; "
    "base-uri 'none'; frame-ancestors 'self'"
)
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")
# The reader asked to load remote content for this view: images, CSS and fonts from anywhere,
# still no scripts, forms or plugins.
HTML_VIEW_REMOTE_CSP = (
    "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; "
    "style-src * 'unsafe-inline'; img-src * data:; font-src * data:; form-action 'none'; "
    "base-uri 'none'; frame-ancestors 'self'"
)
HTML_VIEW_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
RASTER = ("image/png", "image/jpeg", "image/gif", "image/webp")

_CID = re.compile(r"""(src\s*=\s*["']?)cid:([^"'\s>]+)""", re.IGNORECASE)
_SCHEME_QUERY = re.compile(r"\(\s*prefers-color-scheme\s*:\s*(dark|light)\s*\)", re.IGNORECASE)


def rewrite_cids(html: str, message_id: str, parts: dict[str, str]) -> str:
    """Point `cid:` images at the inline-part route; unknown ids stay (and load nothing)."""

    def replace(match: re.Match[str]) -> str:
        part = parts.get(match.group(2).strip("<>"))
        return f"{match.group(1)}/view/{message_id}/part/{part}" if part else match.group(0)

    return _CID.sub(replace, html)


def force_scheme(html: str, scheme: str | None) -> str:
    """Preview the email's own light or dark styles whatever the reader's system prefers: its
    `prefers-color-scheme` queries become always or never true (the view is derived; the stored
    message is untouched)."""
    if scheme not in ("dark", "light"):
        return html

    def replace(match: re.Match[str]) -> str:
        return "(min-width: 0px)" if match.group(1).lower() == scheme else "(max-width: 0px)"

    return _SCHEME_QUERY.sub(replace, html)


def html_for_view(view: MessageView, message_id: str, scheme: str | None) -> str:
    """The HTML body as the inbox shows it: inline images pointed at their parts, and the
    colour scheme forced when asked."""
    inline = {p.content_id: p.part_id for p in view.inline + view.attachments if p.content_id}
    return force_scheme(rewrite_cids(view.html, message_id, inline), scheme)


def _view(request: Request) -> tuple[str, MessageView]:
    messages = services(request).store.messages
    record = messages.get(request.path_params["id"], str_param(request, "mailbox"))
    return record.summary.id, view_message(messages.raw(record.summary.seq))


@operation(
    "The HTML body, in a CSP sandbox; remote content blocked unless remote=1",
    parameters=[
        ID,
        MAILBOX,
        query("remote", "1 allows remote images, CSS and fonts for this view"),
        query("scheme", "light or dark: preview the email's own colour-scheme styles"),
    ],
    responses={"200": {"description": "HTML", "content": {"text/html": {}}}, "404": NOT_FOUND},
)
async def view_html(request: Request) -> Response:
    message_id, view = _view(request)
    remote = request.query_params.get("remote") == "1"
    policy = HTML_VIEW_REMOTE_CSP if remote else own_images_only(request, message_id)
    return Response(
        html_for_view(view, message_id, request.query_params.get("scheme")),
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": policy, **HTML_VIEW_HEADERS},
    )


def own_images_only(request: Request, message_id: str) -> str:
    """The view's policy, letting images load from this message's own inline parts and from
    nowhere else of ours: `img-src 'self'` would let an email point <img> at the API."""
    host = request.headers.get("host", "")
    if not _HOST.match(host) or not message_id.isalnum():
        return HTML_VIEW_CSP
    parts = f"{request.url.scheme}://{host}/view/{message_id}/part/"
    return HTML_VIEW_CSP.replace("img-src data:", f"img-src data: {parts}")


@operation(
    "The text body",
    parameters=[ID, MAILBOX],
    responses={"200": text_response("Text"), "404": NOT_FOUND},
)
async def view_text(request: Request) -> Response:
    _, view = _view(request)
    return Response(
        view.text,
        media_type="text/plain; charset=utf-8",
        headers={"X-Content-Type-Options": "nosniff"},
    )


@operation(
    "An inline raster image of the HTML view (what cid: references point at)",
    parameters=[ID, path("part", "PartID of an inline image")],
    responses={"200": {"description": "PNG, JPEG, GIF or WebP"}, "404": NOT_FOUND},
)
async def inline_part(request: Request) -> Response:
    messages = services(request).store.messages
    record = messages.get(request.path_params["id"])
    info, data = message_part(messages.raw(record.summary.seq), request.path_params["part"])
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
