"""Mailpit's live event stream: the WebSocket at `GET /api/events` (`server/websockets`).

Each frame is one JSON text, `{"Type": <type>, "Data": <payload>}`, made from the bus's events
once the store has committed them:

- `new`: the message summary (as `/messages` lists it) when a message is stored; a message
  stored with tags gets an `update` with its `Tags` first, as in Mailpit;
- `update`: `{"ID", "Read"}` or `{"ID", "Tags"}` when read status or tags of listed messages
  change;
- `delete`: `{"ID"}` per message deleted by ID or search (up to 200 at once);
- `prune`: `null` when more were deleted, retention removed some, or a tag was renamed or
  deleted everywhere;
- `truncate`: `null` when every message was deleted;
- `stats`: `{"Total", "Unread", "Version"}` on connecting, and after changes (at most one every
  250 ms);
- `error`: `{"Level", "Type", "IP", "Message"}` when the SMTP sink answered a 4xx (`warning`)
  or 5xx (`error`) reply.

What the client sends is ignored. Each connection reads the bus through its own bounded
subscription: a client that falls behind loses its oldest events, never the service's memory.
The stream ends when the client goes or the service stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from mailyard.sandbox import (
    Event,
    MessagesDeleted,
    MessageStored,
    MessagesUpdated,
    NotFoundError,
    SMTPErrorReply,
    Store,
)
from mailyard.web.api import shapes
from mailyard.web.api.info import app_version
from mailyard.web.services import services

STATS_EVERY = 0.25  # Mailpit's debounce of `stats`
MAX_DELETE_EVENTS = 200  # past this many IDs, one `prune` (Mailpit's rule)
QUEUE = 1000

Frame = tuple[str, Any]


def _tags(store: Store, message_id: str) -> list[str] | None:
    try:
        return shapes.tag_order(store.messages.get(message_id).summary.tags)
    except NotFoundError:
        return None


def _stored(event: MessageStored) -> dict[str, Any]:
    """The summary of a message from its event, when it is gone from the store already."""
    found = event.summary
    return {
        "ID": event.id,
        "MessageID": getattr(found, "message_id", "") or f"{event.id}@mailpit",
        "Read": False,
        "From": shapes.address(getattr(found, "sender", None)),
        **{
            key: shapes.addresses(list(getattr(found, attr, ())))
            for key, attr in (("To", "to"), ("Cc", "cc"), ("Bcc", "bcc"), ("ReplyTo", "reply_to"))
        },
        "Subject": event.subject,
        "Created": shapes.go_time(datetime.fromtimestamp(event.created, UTC)),
        "Username": "",
        "Tags": shapes.tag_order(list(getattr(found, "tags", ()))),
        "Size": event.size,
        "Attachments": getattr(found, "attachments", 0),
        "Snippet": getattr(found, "snippet", ""),
        "Mailbox": event.mailbox,
    }


def frames(store: Store, event: Event) -> Iterator[Frame]:
    """Mailpit's frames for one event of the bus."""
    if isinstance(event, MessageStored):
        try:
            summary = shapes.summary(store.messages.get(event.id).summary)
        except NotFoundError:  # deleted again before its event was read
            summary = _stored(event)
        if summary["Tags"]:
            yield "update", {"ID": event.id, "Tags": summary["Tags"]}
        yield "new", summary
    elif isinstance(event, MessagesUpdated):
        if event.ids is None:
            if event.tags:
                yield "prune", None  # a tag renamed or deleted everywhere
            return
        for message_id in event.ids:
            if event.read is not None:
                yield "update", {"ID": message_id, "Read": event.read}
            if event.tags:
                tags = _tags(store, message_id)
                if tags is not None:
                    yield "update", {"ID": message_id, "Tags": tags}
    elif isinstance(event, MessagesDeleted):
        if event.ids is None or event.reason == "truncate":
            yield ("truncate" if event.mailbox is None else "prune"), None
        elif event.reason == "prune" or len(event.ids) > MAX_DELETE_EVENTS:
            yield "prune", None
        else:
            for message_id in event.ids:
                yield "delete", {"ID": message_id}
    elif isinstance(event, SMTPErrorReply):
        level = "error" if event.code >= 500 else "warning"
        ip = event.client_addr.rsplit(":", 1)[0].strip("[]")
        yield "error", {"Level": level, "Type": "smtpd", "IP": ip, "Message": event.reply}


def _text(kind: str, data: Any) -> str:
    return json.dumps({"Type": kind, "Data": data}, ensure_ascii=False, separators=(",", ":"))


async def _until_closed(websocket: WebSocket) -> None:
    """Read (and ignore) what the client sends, until it goes."""
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
    except (WebSocketDisconnect, RuntimeError):
        return


async def _stream(websocket: WebSocket) -> None:
    svc = services(websocket)
    store = svc.store
    loop = asyncio.get_running_loop()

    async def stats() -> None:
        total, unread = store.messages.totals()
        data = {"Total": total, "Unread": unread, "Version": app_version()}
        await websocket.send_text(_text("stats", data))

    with svc.bus.subscribe(
        MessageStored, MessagesDeleted, MessagesUpdated, SMTPErrorReply, limit=QUEUE
    ) as subscription:
        await stats()
        stats_due: float | None = None
        while True:
            wait = None if stats_due is None else max(0.0, stats_due - loop.time())
            try:
                event = await subscription.get(timeout=wait)
            except StopAsyncIteration:  # the service is stopping
                return
            if event is None:  # the stats' time has come
                await stats()
                stats_due = None
                continue
            for kind, data in frames(store, event):
                await websocket.send_text(_text(kind, data))
            if stats_due is None and not isinstance(event, SMTPErrorReply):
                stats_due = loop.time() + STATS_EVERY


async def events(websocket: WebSocket) -> None:
    """`GET /api/events`: Mailpit's WebSocket of what happens to the mailbox."""
    await websocket.accept()
    reader = asyncio.create_task(_until_closed(websocket))
    writer = asyncio.create_task(_stream(websocket))
    try:
        done, _ = await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (reader, writer):
            task.cancel()
        await asyncio.gather(reader, writer, return_exceptions=True)
    if writer in done and reader not in done:  # the service ended the stream, not the client
        with contextlib.suppress(RuntimeError):
            await websocket.close(1001)
