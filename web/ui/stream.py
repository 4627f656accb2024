"""The live inbox: a server-sent event stream telling open pages that mail arrived or changed.

Each stream sends the new totals (of its mailbox, and every mailbox's for the header) at most
every `INTERVAL` seconds however fast mail arrives, so a thousand open tabs cost a thousand
small writes a few times a second, not a query per tab per commit. A page re-lists its own
query when told: the stream never says how many messages match a search.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from mailyard.sandbox import MessagesDeleted, MessageStored, MessagesUpdated
from mailyard.web.api.params import str_param
from mailyard.web.services import services

KEEPALIVE = 15.0
INTERVAL = 0.25


async def events(request: Request) -> Response:
    svc = services(request)
    mailbox = str_param(request, "mailbox")
    subscription = svc.bus.subscribe(MessageStored, MessagesDeleted, MessagesUpdated, limit=1)

    async def stream() -> AsyncIterator[bytes]:
        with subscription:
            yield b"retry: 2000\n\n"
            changed = False
            while True:
                if not changed:
                    try:
                        event = await subscription.get(KEEPALIVE)
                    except StopAsyncIteration:  # the service is stopping
                        return
                    if event is None:
                        yield b": keepalive\n\n"
                        continue
                messages = svc.store.messages
                total, unread = messages.totals(mailbox)
                data = json.dumps(
                    {
                        "cursor": messages.cursor(),
                        "total": total,
                        "unread": unread,
                        "mailboxes": messages.mailboxes(),
                    }
                )
                yield f"event: messages\ndata: {data}\n\n".encode()
                # Coalesce: whatever arrives meanwhile becomes one more update, not many.
                await asyncio.sleep(INTERVAL)
                if subscription.closed:
                    return
                changed = bool(subscription.drain())

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
