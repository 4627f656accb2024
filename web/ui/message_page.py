"""One message's page, and its tag editor (an htmx fragment).

The page knows the listing it was opened from (`?mailbox=…&q=…`): "back" returns to it, and
the newer and older links (keys `k` and `j`) step through it.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response

from mailyard.sandbox import (
    Code,
    Link,
    MessageRecord,
    MessageSummary,
    MessageView,
    QueryError,
    extract_codes,
    extract_links,
    html_to_text,
    review,
)
from mailyard.web.api.params import form_body, str_param
from mailyard.web.api.reading import Opened, off_loop, read_message
from mailyard.web.errors import RequestError
from mailyard.web.services import services
from mailyard.web.ui.templating import fragment, page

SOURCE_SHOWN = 2 * 1024 * 1024
MAX_TAG = 100
ESCAPE_SLICE = 64 * 1024  # characters escaped in one call
MAX_TAGS = 50


def neighbours(
    request: Request, seq: int, mailbox: str | None, query: str | None
) -> tuple[MessageSummary | None, MessageSummary | None]:
    """The messages just newer and just older than `seq` in the listing the page came from."""
    messages = services(request).store.messages
    try:
        newer = messages.first_after(after=seq, query=query, mailbox=mailbox)
        older = messages.page(mailbox=mailbox, limit=1, query=query, before=seq).messages
    except QueryError:  # a hand-edited URL: the page still shows, without stepping
        return None, None
    return newer, (older[0] if older else None)


async def message(request: Request) -> Response:
    """The message, its views (HTML, text, source, headers, links, attachments) and its review."""
    svc = services(request)
    record = svc.store.messages.get(request.path_params["id"])
    opened, (view, links, codes, source) = await read_message(request, record, _read)
    mailbox, q = str_param(request, "mailbox"), (request.query_params.get("q") or "").strip()
    newer, older = neighbours(request, record.summary.seq, mailbox, q or None)
    # The HTML check reads the whole body: off the event loop, as the API runs it.
    report = await asyncio.to_thread(review, opened.view, links)
    return await off_loop(
        record.summary.size,
        page,
        "message.html",
        request,
        m=record.summary,
        record=record,
        view=view,
        links=links,
        codes=codes,
        report=report,
        source=source,
        source_cut=len(opened.raw) > SOURCE_SHOWN,
        q=q,
        newer=newer,
        older=older,
        known_tags=svc.store.tags.all(),
    )


def _read(opened: Opened) -> tuple[MessageView, list[Link], list[Code], Markup]:
    """What the page shows: the view with its text escaped, links, codes and the start of the
    source, escaped. Escaped here, a slice at a time, because one `escape` of an 8 MB text holds
    the GIL for tens of ms wherever it runs; the template leaves `Markup` as it is."""
    view = opened.view
    body_text = view.text if view.text.strip() else html_to_text(view.html)
    return (
        replace(view, text=_escaped(view.text)),
        extract_links(view.text, view.html),
        extract_codes(opened.record.summary.subject, body_text),
        _escaped(opened.raw[:SOURCE_SHOWN].decode("utf-8", errors="replace")),
    )


async def pager(request: Request) -> Response:
    """Newer and older, as `message` shows them (404 once the message is gone): the page asks
    again when mail comes or goes while it is open."""
    record = services(request).store.messages.get(request.path_params["id"])
    mailbox, q = str_param(request, "mailbox"), (request.query_params.get("q") or "").strip()
    newer, older = neighbours(request, record.summary.seq, mailbox, q or None)
    return fragment("_pager.html", mailbox=mailbox, q=q, newer=newer, older=older)


def _escaped(text: str) -> Markup:
    # A character escapes on its own, so the slices' escapes join into the whole's.
    return Markup("").join(
        escape(text[at : at + ESCAPE_SLICE]) for at in range(0, len(text), ESCAPE_SLICE)
    )


def _tag(value: str) -> str:
    tag = " ".join(value.split())
    if len(tag) > MAX_TAG:
        raise RequestError(400, f"a tag is at most {MAX_TAG} characters", "add")
    return tag


async def edit_tags(request: Request) -> Response:
    """Add (`add=a, b`: comma separated, as X-Tags) or remove (`remove=`) tags of one message;
    answers the editor, redrawn.

    The change applies to the message's tags as stored now, not to the page's copy of them, so
    two tabs editing one message lose nothing of each other's."""
    store = services(request).store
    record: MessageRecord = store.messages.get(request.path_params["id"])
    form = await form_body(request)
    parts = form.get("add", "").split(",", MAX_TAGS)
    if len(parts) > MAX_TAGS:
        raise RequestError(400, f"a message carries at most {MAX_TAGS} tags", "add")
    added = [_tag(v) for v in parts if v.strip()]
    removed = " ".join(form.get("remove", "").split()).casefold()
    tags = [t for t in record.summary.tags if t.casefold() != removed]
    seen = {t.casefold() for t in tags}
    for tag in added:
        if tag.casefold() not in seen:  # tags are one per spelling, whatever the case
            seen.add(tag.casefold())
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise RequestError(400, f"a message carries at most {MAX_TAGS} tags", "add")
    await store.tags.set([record.summary.id], tags)
    updated = store.messages.get(record.summary.id).summary
    return fragment("_tags.html", m=updated, known_tags=store.tags.all())


__all__ = ["edit_tags", "message", "neighbours", "pager"]
