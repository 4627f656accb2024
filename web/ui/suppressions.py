"""The suppression list page: every mailbox's suppressed addresses with their reason and time,
and add, remove and clear (htmx forms that answer the list, redrawn).

The same store calls as the API's (`web.api.sim_control`), with its checks; an address added
here is recorded as added by hand (`origin` "manual").
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mailyard.sandbox import Suppression
from mailyard.web.api.params import form_body, str_param
from mailyard.web.api.sim_control import DEFAULT_MAILBOX, REASONS
from mailyard.web.errors import RequestError
from mailyard.web.services import services
from mailyard.web.ui.templating import fragment, page
from mailyard.web.ui.timeline import iso

SHOWN = 1000
MAX_ADDRESS = 320
MAX_MAILBOX = 200


@dataclass(frozen=True)
class Entry:
    """One suppressed address as the page shows it."""

    mailbox: str
    address: str
    reason: str  # BOUNCE | COMPLAINT
    created: str  # ISO 8601, UTC
    message_id: str
    origin: str  # simulator | api | manual

    @classmethod
    def of(cls, s: Suppression) -> Entry:
        return cls(s.mailbox, s.address, s.reason, iso(s.created), s.message_id, s.origin)


def _values(request: Request, mailbox: str | None) -> dict[str, Any]:
    """What the list template needs: the entries grouped by mailbox, newest first in each."""
    svc = services(request)
    entries = [Entry.of(s) for s in svc.store.deliveries.suppressions(mailbox, limit=SHOWN)]
    ordered = sorted(entries, key=lambda s: s.mailbox)  # stable: newest first stays
    return {
        "groups": [(name, list(rows)) for name, rows in groupby(ordered, key=lambda s: s.mailbox)],
        "count": len(entries),
        "cut": len(entries) >= SHOWN,
        "shown_mailbox": mailbox,
        "known": sorted({*svc.store.messages.mailboxes(), DEFAULT_MAILBOX}),
    }


def _list(request: Request, mailbox: str | None) -> Response:
    now = services(request).clock.now()  # a page has it from `page`; a fragment needs it
    return fragment("_suppressions.html", now=now, **_values(request, mailbox))


async def suppressions(request: Request) -> Response:
    """The page: the list of one mailbox (`?mailbox=`) or of all of them."""
    return page("suppressions.html", request, **_values(request, str_param(request, "mailbox")))


async def listing(request: Request) -> Response:
    """The list alone (the page asks for it again when its live stream says it changed)."""
    return _list(request, str_param(request, "mailbox"))


def _mailbox(value: str) -> str:
    mailbox = value.strip() or DEFAULT_MAILBOX
    if len(mailbox) > MAX_MAILBOX:
        raise RequestError(400, f"a mailbox name is at most {MAX_MAILBOX} characters", "mailbox")
    return mailbox


async def add(request: Request) -> Response:
    """Put an address on a mailbox's list (`mailbox`, `address`, `reason`)."""
    form = await form_body(request)
    address = form.get("address", "").strip().lower()
    if "@" not in address or len(address) > MAX_ADDRESS or any(c.isspace() for c in address):
        raise RequestError(400, "address must be an email address", "address")
    reason = form.get("reason", "BOUNCE")
    if reason not in REASONS:
        raise RequestError(400, "reason must be BOUNCE or COMPLAINT", "reason")
    svc = services(request)
    mailbox = _mailbox(form.get("mailbox", ""))
    entry = Suppression(mailbox, address, reason, svc.clock.now(), "", "manual")
    await svc.store.deliveries.suppress([entry])
    return _list(request, _shown(form))


async def remove(request: Request) -> Response:
    """Take one address off a mailbox's list."""
    form = await form_body(request)
    address = form.get("address", "").strip()
    if not address:
        raise RequestError(400, "say which address to take off the list", "address")
    await services(request).store.deliveries.unsuppress(_mailbox(form.get("mailbox", "")), address)
    return _list(request, _shown(form))


async def clear(request: Request) -> Response:
    """Empty one mailbox's list."""
    form = await form_body(request)
    await services(request).store.deliveries.unsuppress(_mailbox(form.get("mailbox", "")), None)
    return _list(request, _shown(form))


def _shown(form: dict[str, str]) -> str | None:
    """The mailbox the page lists (its filter), which the answer lists again."""
    return form.get("shown", "").strip() or None


__all__ = ["add", "clear", "listing", "remove", "suppressions"]
