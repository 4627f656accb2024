"""The message's bodies as a browser sees them: `/view/{ID}.html` in a CSP sandbox, `.txt`, and
the inline images its HTML points at (Mailpit's `server/apiv1/testing.go`).

Captured HTML is hostile: it is served on its own, with a CSP `sandbox` (no scripts, no
same-origin rights) and `default-src 'none'`; remote images, CSS and fonts load only when the
reader asks for them (`remote=1`). Inline images come only from this message's own parts, and
only raster types: never HTML or SVG.

`cid:` references are found as Mailpit finds them (`linkInlineImages`: `=`, an optional quote,
`cid:<Content-ID>` in any case, then one of `"'|\\s/>;`) but point at `/view/{ID}/part/{PartID}`
rather than Mailpit's `/api/v1/message/{ID}/part/{PartID}`: the API refuses image loads (a
captured email must not drive it), and the view's CSP allows images from that path alone. The
image shows the same.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
from collections.abc import Callable
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import Response

from mailyard.sandbox import MessageView, Part, message_part, track_links
from mailyard.web.api.describe import (
    ID,
    LATEST_QUERY,
    MAILBOX,
    NOT_FOUND,
    TEXT_ERROR,
    TEXT_NOT_FOUND,
    operation,
    path,
    query,
    text_response,
)
from mailyard.web.api.htmltext import body_text
from mailyard.web.api.lookup import find_record
from mailyard.web.api.message import mark_read
from mailyard.web.api.reading import encoded, off_loop, read_message
from mailyard.web.api.surface import MESSAGE_NOT_FOUND, VERBATIM
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
# With remote content blocked, a remote <img> is drawn as a placeholder (a crossed-out picture
# in a dashed box, at the size the email gave it) instead of the browser's broken-image icon:
# CSS `content` replaces what an img shows, so the markup (and its src, for "Load remote
# content") stays the email's own. Appended after the document: a <style> before a doctype
# would drop the page into quirks mode.
_BLOCKED_SVG = quote(
    '<svg xmlns="http://www.w3.org/2000/svg" width="48" height="32" viewBox="0 0 48 32">'
    '<rect x=".5" y=".5" width="47" height="31" rx="3" fill="#f1f3f5" stroke="#8a94a3" '
    'stroke-dasharray="3 2"/><g fill="none" stroke="#8a94a3" stroke-width="1.5">'
    '<rect x="15" y="8" width="18" height="14" rx="1.5"/><path d="M15 19l5-5 4 4 3-3 6 6"/>'
    '<path d="M12 25L36 6"/></g></svg>'
)
BLOCKED_IMAGES_STYLE = (
    '<style>img[src^="http:" i],img[src^="https:" i],img[src^="//"]'
    f'{{content:url("data:image/svg+xml,{_BLOCKED_SVG}") !important}}</style>'
)

_CID_START = re.compile(r"""=["']?cid:""", re.IGNORECASE)
_CID_END = frozenset("\"'|\\s/>;")
_SCHEME_QUERY = re.compile(r"\(\s*prefers-color-scheme\s*:\s*(dark|light)\s*\)", re.IGNORECASE)
MAX_CIDS = 1000


def rewrite_cids(html: str, message_id: str, parts: dict[str, str]) -> str:
    """Point `cid:` references at the inline-part route, as Mailpit matches them; a reference
    to an unknown Content-ID stays (and loads nothing). One pass over the HTML: at each
    `cid:`, the Content-IDs of each length present are looked up (case-insensitively)."""
    by_length: dict[int, dict[str, str]] = {}
    for cid, part in list(parts.items())[:MAX_CIDS]:
        if cid:
            by_length.setdefault(len(cid), {}).setdefault(cid.lower(), part)
    if not by_length:
        return html
    out, at = [], 0
    for match in _CID_START.finditer(html):
        if match.start() < at:
            continue
        start = match.end()
        for length, known in by_length.items():
            end = start + length
            found = known.get(html[start:end].lower())
            if found is not None and html[end : end + 1] in _CID_END:
                out.append(html[at : start - 4])
                out.append(f"/view/{message_id}/part/{found}")
                at = end
                break
    out.append(html[at:])
    return "".join(out)


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
    inline: dict[str, str] = {}
    for p in view.inline + view.attachments:  # the first part with a Content-ID wins
        inline.setdefault(p.content_id, p.part_id)
    return force_scheme(rewrite_cids(view.html, message_id, inline), scheme)


NO_HTML = "This message does not contain a HTML part"


def click_token(secret: bytes, message_id: str, url: str) -> str:
    """Proof that a click URL was written by this mailyard's view of the message: a click
    arrives from the view's sandbox, an opaque origin every browser calls cross-site, so the
    token is what tells it from a link another site made (`web.ui.engagement` checks it)."""
    mac = hmac.new(secret, f"click\0{message_id}\0{url}".encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def click_route(secret: bytes, message_id: str) -> Callable[[str], str]:
    """Where the inbox's view points a link: mailyard's click redirect, which records a Click
    and goes on to `url` (`/view/{ID}/click`)."""

    def route(url: str) -> str:
        token = click_token(secret, message_id, url)
        return f"/view/{message_id}/click?" + urlencode({"u": url, "t": token})

    return route


async def _opened(request: Request) -> tuple[str, MessageView]:
    """The message (an unknown one is Mailpit's `Message not found`), marked read."""
    record = find_record(request, missing=MESSAGE_NOT_FOUND)
    await mark_read(request, record)
    opened, _ = await read_message(request, record, lambda _: None)
    return record.summary.id, opened.view


def embedded(html: str) -> str:
    """Mailpit's `embed=1`: the HTML as a whole document whose links open a new window."""
    import lxml.html  # imported by the first embed, not at start-up
    from lxml.etree import ParserError

    try:
        document = lxml.html.document_fromstring(html)
    except (ParserError, ValueError):
        return html
    for anchor in document.iter("a"):
        anchor.set("target", "_blank")
        anchor.set("rel", "noreferrer noopener")
    return str(
        lxml.html.tostring(document, encoding="unicode", method="html", doctype="<!DOCTYPE html>")
    )


@operation(
    "The HTML body, in a CSP sandbox; remote content blocked unless remote=1 (marks it read)",
    parameters=[
        ID,
        LATEST_QUERY,
        MAILBOX,
        query("embed", "1: a whole document whose links open in a new window (Mailpit's)"),
        query("remote", "mailyard: 1 allows remote images, CSS and fonts for this view"),
        query("scheme", "mailyard: light or dark, to preview the email's colour-scheme styles"),
        query("placeholders", "mailyard: 1 draws blocked remote images as placeholders"),
        query(
            "clicks",
            "mailyard: 1 points web links at /view/{ID}/click, which records a Click (when the "
            "inbox records engagement) and redirects, in a new window",
        ),
    ],
    responses={
        "200": {"description": "HTML", "content": {"text/html": {"schema": {"type": "string"}}}},
        "400": TEXT_ERROR,
        "404": TEXT_NOT_FOUND,
    },
    errors="mailpit",
)
async def view_html(request: Request) -> Response:
    message_id, view = await _opened(request)
    if not view.html:
        raise RequestError(404, NO_HTML, code=VERBATIM)
    remote = request.query_params.get("remote") == "1"
    policy = HTML_VIEW_REMOTE_CSP if remote else own_images_only(request, message_id)
    scheme = request.query_params.get("scheme")
    html = await off_loop(len(view.html), html_for_view, view, message_id, scheme)
    svc = services(request)
    if request.query_params.get("clicks") == "1" and svc.settings.inbox_engagement:
        route = click_route(svc.secret, message_id)
        large = len(html) > 64 * 1024
        html = (
            await asyncio.to_thread(track_links, html, route) if large else track_links(html, route)
        )
    if request.query_params.get("embed") == "1":
        html = await asyncio.to_thread(embedded, html) if len(html) > 64 * 1024 else embedded(html)
    if not remote and request.query_params.get("placeholders") == "1":
        html += BLOCKED_IMAGES_STYLE
    return Response(
        await encoded(html),
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
    "The text body (an HTML-only message's HTML as text), marks it read",
    parameters=[ID, LATEST_QUERY, MAILBOX],
    responses={"200": text_response("Text"), "400": TEXT_ERROR, "404": TEXT_NOT_FOUND},
    errors="mailpit",
)
async def view_text(request: Request) -> Response:
    _, view = await _opened(request)
    return Response(
        await encoded(await body_text(request, view)),
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

    def part() -> tuple[Part, bytes]:
        return message_part(messages.raw(record.summary.seq), request.path_params["part"])

    info, data = await off_loop(record.summary.size, part)
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
