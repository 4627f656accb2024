"""The bus's events as Mailpit's WebSocket frames (the stream itself runs over the wire in
tests/e2e/test_mailpit_events.py)."""

from __future__ import annotations

from pathlib import Path

from mailyard.sandbox import (
    Bus,
    Envelope,
    MessagesDeleted,
    MessagesUpdated,
    SMTPErrorReply,
    Store,
)
from mailyard.web.api.events_ws import frames

RAW = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\nX-Tags: Zed, alpha\r\n\r\nx"


async def test_each_event_becomes_mailpits_frames(tmp_path: Path) -> None:
    bus = Bus()
    with Store(str(tmp_path / "ws.db"), publish=bus.publish) as store:
        with bus.subscribe() as subscription:
            stored = await store.messages.ingest(RAW, Envelope("a@example.com", ("b@example.com",)))
            await store.messages.set_read(True, [stored.id])
            await store.tags.set([stored.id], ["one"])
            await store.messages.delete([stored.id])
            await store.messages.delete(None)
            got = [f for e in subscription.drain() for f in frames(store, e)]
        kinds = [kind for kind, _ in got]
        assert kinds[:2] == ["update", "new"]  # a tagged message: its tags first, as Mailpit
        assert got[0][1] == {"ID": stored.id, "Tags": ["alpha", "Zed"]}
        new = got[1][1]
        assert new["ID"] == stored.id and new["Subject"] == "hi" and new["To"][0]["Address"]
        assert ("update", {"ID": stored.id, "Read": True}) in got
        assert ("delete", {"ID": stored.id}) in got
        assert kinds[-1] == "truncate"


def test_many_deletions_a_tag_rename_and_smtp_errors(tmp_path: Path) -> None:
    with Store(str(tmp_path / "ws.db")) as store:
        many = MessagesDeleted(tuple(f"id{i}" for i in range(201)))
        assert list(frames(store, many)) == [("prune", None)]
        assert list(frames(store, MessagesDeleted(("x",), reason="prune"))) == [("prune", None)]
        assert list(frames(store, MessagesUpdated(None, tags=True))) == [("prune", None)]
        assert list(frames(store, MessagesUpdated(None, read=True))) == []  # stats only
        refused = SMTPErrorReply("451 4.3.0 Chaos sender error", "127.0.0.1:5000")
        assert list(frames(store, refused)) == [
            (
                "error",
                {
                    "Level": "warning",
                    "Type": "smtpd",
                    "IP": "127.0.0.1",
                    "Message": "451 4.3.0 Chaos sender error",
                },
            )
        ]
        assert next(frames(store, SMTPErrorReply("550 no")))[1]["Level"] == "error"
