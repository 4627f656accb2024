"""What the live stream tells open pages about the simulator: which messages have new events.

The stream (`web.ui.stream`) sends, beside its `messages` totals, an `event: deliveries` whose
data names the messages of the stream's mailbox with new events since the last one:

    {"ids": ["Xb3…", …], "more": false}

The inbox re-lists when a row on screen is among them (its marks change); a message page
fetches its Delivery tab again when it is its own. At most `MAX_IDS` are named: past that,
`more` is true and every page refreshes, so a burst of mail never makes a write grow with it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from mailyard.sandbox import Event, EventsOccurred

MAX_IDS = 100


def news(told: Iterable[Event], mailbox: str | None, dropped: bool = False) -> bytes | None:
    """The `deliveries` event for the simulator events among `told` (of `mailbox`, if given);
    None when there are none. `dropped`: the stream lost events, so some ids may be missing."""
    ids: dict[str, None] = {}
    for event in told:
        if not isinstance(event, EventsOccurred):
            continue
        for stored in event.events:
            if mailbox is None or stored.mailbox == mailbox:
                ids.setdefault(stored.message_id)
                if len(ids) > MAX_IDS:  # enough to say "everything": stop counting
                    return _said(list(ids)[:MAX_IDS], True)
    return _said(list(ids), dropped) if ids or dropped else None


def _said(ids: list[str], more: bool) -> bytes:
    data = json.dumps({"ids": ids, "more": more})
    return f"event: deliveries\ndata: {data}\n\n".encode()


__all__ = ["MAX_IDS", "news"]
