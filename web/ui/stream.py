"""The live inbox: a server-sent event stream telling open pages that mail arrived or changed.

Each stream sends the new totals (of its mailbox, and every mailbox's for the header) at most
every `INTERVAL` seconds however fast mail arrives; a page re-lists its own query when told:
the stream never says how many messages match a search. It also names the messages the
simulator has new events for (`event: deliveries`, see `web.ui.delivery_news`), and that a
suppression list changed (`event: suppressions`: the suppression list page asks again).

Every stream of an app is fed by one `LiveFeed` (`web.ui.live_feed`), which works each update
out once for all of them: a thousand open tabs cost a thousand small writes a second, not a
subscription and three queries each.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from mailyard.web.api.app_local import app_local
from mailyard.web.api.params import str_param
from mailyard.web.services import services
from mailyard.web.ui.live_feed import INTERVAL, KEEPALIVE, LiveFeed

__all__ = ["INTERVAL", "KEEPALIVE", "events", "live_feed"]


def live_feed(request: Request) -> LiveFeed:
    """The app's feed, made for its services on first use (again if they were reopened)."""
    svc = services(request)
    feed = app_local(request, "live_feed", lambda: LiveFeed(svc.bus, svc.store.messages))
    if not feed.serves(svc.bus):
        feed = LiveFeed(svc.bus, svc.store.messages)
        request.app.state.live_feed = feed
    return feed


async def events(request: Request) -> Response:
    mailbox = str_param(request, "mailbox")
    feed = live_feed(request)

    async def stream() -> AsyncIterator[bytes]:
        with feed.listen(mailbox) as listener:
            yield b"retry: 2000\n\n"
            while (chunk := await listener.next()) is not None:
                yield chunk

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
