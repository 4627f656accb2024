"""Opens and clicks from the inbox: a reader looking at a message's HTML, and following a link in
it, recorded as the simulator's Open and Click events (the provider's JSON, the webhooks).

- `POST /ui/message/{ID}/open`: delivery.js asks once per page, when the HTML view
  is on screen in a visible, not prerendered tab. A POST under /ui/ carries the page's CSRF token
  and an Origin the guard checks: no other site, and no prefetch, can record one.
- `GET /view/{ID}/click?u=…&t=…`: where the view's links point (`views.click_route`). It goes on
  only to an address that is a link of that very message (never an open redirect), and records
  a Click only when the token proves our own view wrote the link and the request is no prefetch:
  the view's sandbox is an opaque origin, so the browser calls the click cross-site and the
  usual same-origin rule for a GET that changes something cannot be applied.

Only recipients the message reached (delivered, or delivered and then complained about) open or
click, as with a real provider; a bounced, delayed or suppressed message records nothing, and
neither does any message with `--no-inbox-engagement`.
"""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from mailyard.sandbox import (
    Engagement,
    Kind,
    MessageRecord,
    Step,
    StoredEvent,
    link_targets,
)
from mailyard.web.api.reading import read_message
from mailyard.web.api.views import click_token
from mailyard.web.errors import RequestError
from mailyard.web.services import Services, services

REACHED = (Kind.DELIVERY, Kind.COMPLAINT)  # the mail is in the reader's mailbox
MAX_AGENT = 300


def prefetch(request: Request) -> bool:
    """A speculative load (`Sec-Purpose: prefetch`, or the older `Purpose`), not a reader."""
    said = request.headers.get("sec-purpose", "") + request.headers.get("purpose", "")
    return "prefetch" in said.lower()


def reached(svc: Services, record: MessageRecord) -> tuple[str, ...]:
    """The recipients whose mail is in their mailbox now."""
    seq = record.summary.seq
    where = svc.store.deliveries.last_outcomes([seq]).get(seq, [])
    return tuple(who for who, kind in where if kind in REACHED)


async def engage(
    request: Request, record: MessageRecord, kind: Kind, link: str = ""
) -> StoredEvent | None:
    """Record an open or a click of `record` by its reached recipients, as this browser."""
    svc = services(request)
    if not svc.settings.inbox_engagement:
        return None
    recipients = reached(svc, record)
    if not recipients:
        return None
    detail = Engagement(
        ip_address=request.client.host if request.client else "127.0.0.1",
        user_agent=request.headers.get("user-agent", "")[:MAX_AGENT] or "unknown",
        link=link,
    )
    summary = record.summary
    return await svc.store.deliveries.add_event(
        summary.seq,
        summary.id,
        summary.mailbox,
        Step(0.0, kind, detail),
        recipients,
        svc.clock.now(),
    )


async def record_open(request: Request) -> Response:
    """The reader sees the message's HTML: an Open (204 whether one was recorded or not)."""
    record = services(request).store.messages.get(request.path_params["id"])
    if not prefetch(request):
        await engage(request, record, Kind.OPEN)
    return Response(status_code=204)


async def click(request: Request) -> Response:
    """Record a Click of a link of the message's HTML view, then go there (303)."""
    svc = services(request)
    record = svc.store.messages.get(request.path_params["id"])
    url = request.query_params.get("u", "")
    _, found = await read_message(request, record, lambda o: link_targets(o.view.html))
    if url not in found:
        raise RequestError(404, "that address is not a link of this message", "u")
    expected = click_token(svc.secret, record.summary.id, url)
    genuine = hmac.compare_digest(request.query_params.get("t", ""), expected)
    if genuine and request.method == "GET" and not prefetch(request):
        await engage(request, record, Kind.CLICK, url)
    return RedirectResponse(
        url,
        status_code=303,
        headers={"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"},
    )


__all__ = ["click", "engage", "prefetch", "reached", "record_open"]
