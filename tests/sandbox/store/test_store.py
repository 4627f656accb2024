"""The store and its repositories: raw bytes kept exactly, events told only after commit,
retention on the injected clock, and databases made by earlier releases upgraded in place."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlite_utils

from mailyard.sandbox import (
    Bus,
    Clock,
    Envelope,
    MessagesDeleted,
    MessageStored,
    MessagesUpdated,
    NotFoundError,
    Retention,
    Store,
    StoreError,
)
from mailyard.sandbox.store.migrate import migrations

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "databases"


def test_envelope_is_kept_and_raw_bytes_are_never_rewritten(tmp_path: Path) -> None:
    with Store(str(tmp_path / "env.db")) as store:
        raw = b"Subject: =?utf-8?q?caf=C3=A9?=\r\nTo: a@example.com\r\n\r\nbody\r\n"
        stored = store.messages.ingest_sync(
            raw, Envelope("s@example.com", ("a@example.com", "hidden@example.com"), tls=True)
        )
        record = store.messages.get(stored.id)
        assert store.messages.raw(stored.seq) == raw
    assert record.summary.subject == "café" and record.envelope.tls
    assert [a.address for a in record.summary.bcc] == ["hidden@example.com"]
    assert record.envelope.rcpt_to == ("a@example.com", "hidden@example.com")


async def test_retention_by_age_follows_the_clock(tmp_path: Path) -> None:
    clock = Clock.frozen()
    with Store(str(tmp_path / "age.db"), clock=clock, retention=Retention(max_age=3600)) as store:
        await store.messages.ingest(b"Subject: old\r\n\r\nx", Envelope("a@x", ("b@x",)))
        clock.advance(3000)
        await store.messages.ingest(b"Subject: new\r\n\r\nx", Envelope("a@x", ("b@x",)))
        assert await store.messages.prune_by_age() == 0
        clock.advance(601)  # "old" is now 3,601 s old, "new" 601 s
        removed = await store.messages.prune_by_age()
        page = store.messages.page()
        leftovers = store.reader().execute("SELECT count(*) FROM message_data").fetchone()[0]
    assert removed == 1 and [m.subject for m in page.messages] == ["new"]
    assert page.total == 1 and leftovers == 1  # no orphaned raw bytes, counts kept right


async def test_message_times_come_from_the_clock(tmp_path: Path) -> None:
    clock = Clock.frozen(1_767_225_600.0)  # 2026-01-01T00:00:00Z
    with Store(str(tmp_path / "t.db"), clock=clock) as store:
        stored = await store.messages.ingest(b"Subject: t\r\n\r\nx", Envelope("a@x", ("b@x",)))
        summary = store.messages.get(stored.id).summary
    assert summary.created == "2026-01-01T00:00:00.000000Z"


async def test_every_change_is_told_on_the_bus_once_committed(tmp_path: Path) -> None:
    bus = Bus()
    told: list[object] = []
    bus.listen(told.append)
    with Store(str(tmp_path / "e.db"), publish=bus.publish) as store:
        stored = await store.messages.ingest(
            b"To: jane@example.com\r\nSubject: hi\r\n\r\nx", Envelope("a@x", ("jane@example.com",))
        )
        await store.messages.set_read(True, [stored.id])
        await store.tags.set([stored.id], ["signup"])
        await store.messages.delete([stored.id])
        await store.messages.delete(None)
    stored_event, read, tagged, deleted, truncated = told
    assert isinstance(stored_event, MessageStored) and stored_event.id == stored.id
    assert stored_event.recipients == ("jane@example.com",) and stored_event.summary is not None
    assert read == MessagesUpdated((stored.id,), None, read=True)
    assert tagged == MessagesUpdated((stored.id,), tags=True)
    assert deleted == MessagesDeleted((stored.id,), None, "delete")
    assert truncated == MessagesDeleted(None, None, "truncate")


def test_a_database_made_by_mailyard_0_1_0_is_upgraded_and_keeps_its_mail(
    tmp_path: Path,
) -> None:
    db = tmp_path / "old.db"
    shutil.copy(FIXTURES / "mailyard-0.1.0.db", db)
    with Store(str(db)) as store:
        page = store.messages.page(limit=10)
        assert sorted(m.subject for m in page.messages) == ["Reset 0", "Reset 1", "Reset 2"]
        assert (page.total, page.unread) == (3, 2)
        assert store.messages.mailboxes() == {"ci-job": (2, 2), "default": (1, 0)}
        assert store.tags.all() == ["signup"]
        (entry,) = store.send_log.entries()
        assert entry.record.reason == "email_not_configured"
        assert entry.record.missing == ("RESEND_API_KEY",)
    applied = [r["name"] for r in sqlite_utils.Database(str(db))["_migrations"].rows]
    assert applied == [name for name, _ in migrations()]


def test_migrations_are_numbered_and_applied_once_each(tmp_path: Path) -> None:
    names = [name for name, _ in migrations()]
    assert names == sorted(names) and names[0].startswith("0001_")
    with Store(str(tmp_path / "m.db")):
        pass
    with Store(str(tmp_path / "m.db")):  # reopening applies nothing twice
        pass
    database = sqlite_utils.Database(str(tmp_path / "m.db"))
    assert [r["name"] for r in database["_migrations"].rows] == names
    assert {"messages", "message_data", "message_tags", "send_log", "meta"} <= set(
        database.table_names()
    )


def test_a_missing_folder_is_refused_not_created(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="the folder does not exist"):
        Store(str(tmp_path / "no" / "such" / "x.db")).open()
    assert not (tmp_path / "no").exists()


def test_a_file_that_is_not_a_database_is_named_as_such(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(StoreError, match="is not a mailyard database"):
        Store(str(bad)).open()


def test_latest_and_unknown_ids(tmp_path: Path) -> None:
    with Store(str(tmp_path / "l.db")) as store:
        with pytest.raises(NotFoundError):
            store.messages.get("latest")
        store.messages.ingest_sync(b"Subject: a\r\n\r\nx", Envelope("a@x", ("b@x",), mailbox="m1"))
        store.messages.ingest_sync(b"Subject: b\r\n\r\nx", Envelope("a@x", ("b@x",)))
        assert store.messages.get("latest").summary.subject == "b"
        assert store.messages.get("latest", mailbox="m1").summary.subject == "a"
        with pytest.raises(NotFoundError):
            store.messages.get("nope")
