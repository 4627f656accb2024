"""Mailpit's paging of listings and searches, over the store's pages of at most 1,000.

Mailpit reads `start` and `limit` leniently (`server/apiv1/api.go`, `getStartLimit`): a `start`
that is not a whole number above 0, or overflows, is 0; a `limit` that is not a whole number of
0 or more is 50, and has no upper bound. `limit=0` means every message on `/messages` and none
on `/search` (whose counts are still given). `before=<date>` lists only older messages.

`before=` is read by the search's own `before:` term (Mailpit's date forms); Mailpit's
parameter excludes a message received in that very millisecond, the term includes it.

A page larger than the store's is gathered store page by store page, keyed on the last
message's position after the first, so deep offsets are read once. `limit=0` lists the whole
mailbox, as Mailpit does: its size is the mailbox's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from starlette.requests import Request

from mailyard.sandbox import Page, QueryError
from mailyard.web.services import Services

STORE_PAGE = 1000  # the store's largest page (sandbox.store.message_reads.MAX_PAGE)
DEFAULT_LIMIT = 50
_GO_MAX_INT = 2**63 - 1  # strconv.Atoi's range on 64-bit Go


def _atoi(text: str | None) -> int | None:
    """Go's strconv.Atoi: an optional sign and ASCII digits within int64, else None."""
    if not text:
        return None
    digits = text[1:] if text[0] in "+-" else text
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 19:
        return None
    value = int(text)
    return value if -_GO_MAX_INT - 1 <= value <= _GO_MAX_INT else None


def start_param(request: Request) -> int:
    value = _atoi(request.query_params.get("start"))
    return value if value is not None and value > 0 else 0


def limit_param(request: Request) -> int:
    value = _atoi(request.query_params.get("limit"))
    return value if value is not None and value >= 0 else DEFAULT_LIMIT


def before_term(svc: Services, request: Request, tz: str | None) -> str | None:
    """`before=<date>` as a search term, or None when absent or unreadable (Mailpit ignores
    a date it cannot read)."""
    text = request.query_params.get("before", "").replace('"', "").strip()
    if not text:
        return None
    term = f'before:"{text}"'
    try:
        svc.store.messages.check_query(term, tz)
    except QueryError:
        return None
    return term


def gather(
    svc: Services,
    *,
    start: int,
    limit: int,
    query: str | None,
    mailbox: str | None,
    tz: str | None,
    observe: Callable[[float], None] | None = None,
) -> Page:
    """Up to `limit` messages from `start` (limit 0: no messages, only the counts); `observe`
    is told how long the first, counting, query of a search took."""
    messages = svc.store.messages
    asked = min(max(limit, 1), STORE_PAGE)
    began = time.perf_counter()
    first = messages.page(mailbox=mailbox, start=start, limit=asked, query=query, tz=tz)
    if query and observe is not None:
        observe(time.perf_counter() - began)
    if limit == 0:
        return replace(first, messages=[])
    found = list(first.messages)
    got = len(found)
    while len(found) < limit and got == asked:
        asked = min(limit - len(found), STORE_PAGE)
        more = messages.page(
            mailbox=mailbox, limit=asked, query=query, tz=tz, before=found[-1].seq
        ).messages
        found += more
        got = len(more)
    return replace(first, messages=found)
