"""The inbox's listing pages: the inbox, its results and rows (htmx fragments), and the status page.

Server-rendered Jinja2. The inbox's results fragment carries the summary, the "Delete all" label
and the counts of the very query it lists, so whatever refreshes the list (a search, a live
arrival, an action) refreshes what describes it in the same response. Message actions (delete,
read status) go through the JSON API from the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mailyard.sandbox import Page, QueryError, choose
from mailyard.web.api.params import cursor_param, int_param, str_param
from mailyard.web.errors import RequestError
from mailyard.web.services import services
from mailyard.web.ui.marks import Mark, marks
from mailyard.web.ui.templating import fragment, page

PAGE = 50
MAX_SHOWN = 500  # a live refresh re-lists every row loaded so far, up to this many
SENDS = 20  # the status page lists this many recent sends, and this many more per "Show more"
MAX_SENDS = 500


@dataclass(frozen=True)
class Listing:
    """One listing of the inbox: its mailbox and query, and the page, or why the query failed;
    `notes`: the terms of the query read other than as typed (the search ran without them)."""

    mailbox: str | None
    q: str
    limit: int
    page: Page | None
    error: str | None = None
    marks: Mapping[int, Mark] = field(default_factory=dict)  # seq -> the row's delivery mark
    notes: tuple[str, ...] = ()

    def values(self) -> dict[str, Any]:
        return {
            "mailbox": self.mailbox,
            "q": self.q,
            "limit": self.limit,
            "page": self.page,
            "error": self.error,
            "marks": self.marks,
            "notes": self.notes,
        }


def listing(request: Request, before: int | None = None) -> Listing:
    """The request's listing. A query the search refuses (only one past its size bounds: the
    search is as lenient as Mailpit's) becomes `error`, to be said where it was typed instead
    of an unfiltered list passing for its answer; a term it ignored or searched as text
    becomes a note beside what matched."""
    mailbox = str_param(request, "mailbox")
    q = (request.query_params.get("q") or "").strip()
    limit = int_param(request, "limit", PAGE, low=1, high=MAX_SHOWN)
    store = services(request).store
    try:
        notes = store.messages.check_query(q) if q else ()
        result = store.messages.page(mailbox=mailbox, limit=limit, query=q or None, before=before)
    except QueryError as exc:
        return Listing(mailbox, q, limit, None, str(exc))
    return Listing(
        mailbox,
        q,
        limit,
        result,
        marks=marks(store, result.messages),
        notes=tuple(n.message for n in notes),
    )


async def inbox(request: Request) -> Response:
    """The inbox page; a refused query answers 400 with the page and the reason in it."""
    shown = listing(request)
    status = 400 if shown.error else 200
    return page("inbox.html", request, status=status, before=None, **shown.values())


async def results(request: Request) -> Response:
    """The summary data and the rows of a query: what a search or a live refresh swaps in."""
    shown = listing(request)
    return fragment(
        "_results.html",
        status=400 if shown.error else 200,
        now=services(request).clock.now(),
        before=None,
        **shown.values(),
    )


async def rows(request: Request) -> Response:
    """Older rows, below the last one shown ("Older messages")."""
    before = cursor_param(request, "before")
    shown = listing(request, before=before)
    if shown.error:  # the error surface answers htmx a fragment; app.js fits it in the table
        raise RequestError(400, shown.error, "q")
    return fragment(
        "_rows.html", now=services(request).clock.now(), before=before, **shown.values()
    )


async def status(request: Request) -> Response:
    """Where mail goes (delivery mode and provider), the sandbox's port and size, recent sends:
    the latest `SENDS` (`?sends=N` shows more), so a busy log does not make a page of miles."""
    svc = services(request)
    shown = int_param(request, "sends", SENDS, low=1, high=MAX_SENDS)
    log = svc.store.send_log.entries(limit=shown + 1)  # one more: is there more to show?
    return page(
        "status.html",
        request,
        route=choose(svc.delivery),
        delivery=svc.delivery,
        log=[entry.as_json() for entry in log[:shown]],
        more=min(shown + SENDS, MAX_SENDS) if len(log) > shown and shown < MAX_SENDS else None,
        smtp_port=svc.smtp_port,
        totals=svc.store.messages.totals(),
        db=svc.settings.db,
    )


__all__ = ["inbox", "results", "rows", "status"]
