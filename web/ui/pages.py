"""The web inbox's pages: the inbox and its rows, one message, and the status page.

Server-rendered Jinja2 with htmx for partial updates. Message actions (delete, read status)
go through the JSON API from the page.
"""

from __future__ import annotations

import contextlib
from html.parser import HTMLParser
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mailyard.renderer import GMAIL_CLIP_BYTES
from mailyard.sandbox import (
    Link,
    MessageView,
    Page,
    choose,
    extract_codes,
    extract_links,
    html_to_text,
    view_message,
)
from mailyard.web.api.params import str_param
from mailyard.web.errors import RequestError
from mailyard.web.services import services
from mailyard.web.ui.templating import PAGE_HEADERS, fragment, page, size

PAGE = 50
SOURCE_SHOWN = 2 * 1024 * 1024


def _listing(request: Request, before: int | None = None, after: int | None = None) -> Page:
    return services(request).store.messages.page(
        mailbox=str_param(request, "mailbox"),
        limit=PAGE,
        query=str_param(request, "q"),
        before=before,
        after=after,
    )


def _seq(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    if not value:
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= 18):
        raise RequestError(400, f"{name} must be a message cursor", name)
    return int(value)


async def inbox(request: Request) -> Response:
    result = _listing(request)
    return page("inbox.html", request, page=result, q=str_param(request, "q") or "", more=True)


async def rows(request: Request) -> Response:
    result = _listing(request, before=_seq(request, "before"), after=_seq(request, "after"))
    return fragment(
        "_rows.html",
        headers={"X-Cursor": str(result.cursor), "X-Unread": str(result.unread)},
        page=result,
        q=str_param(request, "q") or "",
        mailbox=str_param(request, "mailbox"),
        more=request.query_params.get("after") is None,
        now=services(request).clock.now(),
    )


async def message(request: Request) -> Response:
    messages = services(request).store.messages
    record = messages.get(request.path_params["id"])
    raw = messages.raw(record.summary.seq)
    view = view_message(raw)
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
        source=raw[:SOURCE_SHOWN].decode("utf-8", errors="replace"),
        source_cut=len(raw) > SOURCE_SHOWN,
    )


async def status(request: Request) -> Response:
    svc = services(request)
    return page(
        "status.html",
        request,
        route=choose(svc.delivery),
        delivery=svc.delivery,
        log=[entry.as_json() for entry in svc.store.send_log.entries(limit=50)],
        smtp_port=svc.smtp_port,
        totals=svc.store.messages.totals(),
        db=svc.settings.db,
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


def checks(view: MessageView, links: list[Link]) -> list[dict[str, Any]]:
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


__all__ = ["PAGE_HEADERS", "inbox", "message", "rows", "status"]
