"""The write path per message: the vocabulary written once a transaction, the provider's id found
by free text (new mail, and mail stored before migration 0008), a big message committed off the
event loop, the simulator's records in a few statements."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from mailyard.sandbox import Bus
from mailyard.sandbox.clock import Clock
from mailyard.sandbox.errors import StoreError
from mailyard.sandbox.events import Event, MessagesUpdated
from mailyard.sandbox.simulate.outcomes import Kind
from mailyard.sandbox.simulate.simulator import Simulator
from mailyard.sandbox.store import Store, search_index
from mailyard.sandbox.store.event_records import EventsOccurred
from mailyard.sandbox.store.migrate import migrations, split_statements
from mailyard.sandbox.store.records import Envelope
from mailyard.sandbox.store.writer import Tx

SES_ID = "0100018c7f3e1a2b-5f6a7b8c-9d0e-4f1a-8b2c-3d4e5f6a7b8c-000000"
RESEND_ID = "4ef9a417-02e9-4d39-ad75-9611e0fcc33c"


def _raw(i: int, word: str) -> bytes:
    return (
        f"From: App <app@example.com>\r\nTo: user{i}@example.com\r\nSubject: Note {i}\r\n\r\n"
        f"hello {word} world\r\n"
    ).encode()


def _ids_with(store: Store, query: str) -> list[str]:
    return [m.id for m in store.messages.page(limit=1000, query=query).messages]


def _vocabulary_rows(store: Store) -> int:
    with sqlite3.connect(store.path) as conn:
        return int(conn.execute("SELECT count(*) FROM search_vocab_batches").fetchone()[0])


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store(str(tmp_path / "s.db"), clock=Clock.frozen(1_767_225_600.0))
    opened.open()
    yield opened  # type: ignore[misc]
    opened.close()


# -- the vocabulary, once a transaction -------------------------------------------------------


def test_a_group_commit_writes_one_vocabulary_row(store: Store) -> None:
    async def burst() -> None:
        await asyncio.gather(
            *(store.messages.ingest(_raw(i, f"word{i}x"), Envelope("a@b", ())) for i in range(40))
        )

    asyncio.run(burst())
    assert store.writer.commits == 1
    assert _vocabulary_rows(store) == 1  # one a message before
    assert len(_ids_with(store, "ord3")) == 11  # word3x, word30x..word39x: found by substring


def test_known_tokens_are_not_written_again(store: Store) -> None:
    raw = b"Message-ID: <same@example.com>\r\n" + _raw(1, "same")
    store.messages.ingest_sync(raw, Envelope("a@b", ()))
    rows = _vocabulary_rows(store)
    store.messages.ingest_sync(raw, Envelope("a@b", ()))
    assert _vocabulary_rows(store) == rows


def test_a_write_job_sees_the_tokens_of_the_jobs_before_it(store: Store) -> None:
    """A delete by substring queued right after an insert, in the same transaction, finds it."""

    async def both() -> int:
        ingest = store.messages.ingest(_raw(1, "fleeting"), Envelope("a@b", ()))
        delete = store.messages.delete_matching("eetin")
        _, deleted = await asyncio.gather(ingest, delete)
        return deleted

    assert asyncio.run(both()) == 1
    assert store.writer.commits == 1
    assert store.messages.totals() == (0, 0)


def test_a_transaction_that_fails_at_commit_leaves_nothing_remembered(store: Store) -> None:
    """The tokens written before a failed COMMIT are gone; the memory must not claim them."""
    with sqlite3.connect(store.path) as conn:
        conn.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON search_vocab_batches "
            "WHEN NEW.words LIKE '%doomed%' BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    with pytest.raises(StoreError):
        store.messages.ingest_sync(_raw(1, "doomed"), Envelope("a@b", ()))
    assert store.messages.totals() == (0, 0)
    with sqlite3.connect(store.path) as conn:
        conn.execute("DROP TRIGGER refuse")
    store.messages.ingest_sync(_raw(2, "doomed"), Envelope("a@b", ()))
    assert len(_ids_with(store, "oome")) == 1


# -- the provider's id, found by free text ----------------------------------------------------


@pytest.mark.parametrize("provider_id", [SES_ID, RESEND_ID])
def test_a_new_message_is_found_by_its_provider_id(store: Store, provider_id: str) -> None:
    envelope = Envelope("a@b", (), source="ses", provider_id=provider_id)
    stored = store.messages.ingest_sync(_raw(1, "hello"), envelope)
    store.messages.ingest_sync(_raw(2, "hello"), Envelope("a@b", ()))
    assert _ids_with(store, provider_id) == [stored.id]
    assert _ids_with(store, provider_id.upper()) == [stored.id]  # case-insensitive
    assert _ids_with(store, provider_id[4:-4]) == [stored.id]  # a substring with a `-`
    assert _ids_with(store, f"-{provider_id}") != [stored.id]  # negated


def test_the_provider_id_does_not_change_other_matches(store: Store) -> None:
    envelope = Envelope("a@b", (), source="ses", provider_id=SES_ID)
    store.messages.ingest_sync(_raw(1, "hello"), envelope)
    assert len(_ids_with(store, "hello")) == 1
    assert _ids_with(store, "subject:000000") == []


def _stored_before_0008(path: Path, count: int) -> None:
    """A store as 0007 left it: messages with provider ids whose free text lacks them."""
    real = search_index.provider_chunks
    search_index.provider_chunks = lambda provider_id: []  # the code before issue 12
    try:
        with Store(str(path)) as old:
            for i in range(count):
                provider_id = RESEND_ID[:-6] + f"{i:06d}" if i % 2 else f"{SES_ID}{i}"
                envelope = Envelope("a@b", (), source="resend", provider_id=provider_id)
                old.messages.ingest_sync(_raw(i, "old"), envelope)
            old.messages.ingest_sync(_raw(count, "plain"), Envelope("a@b", ()))
    finally:
        search_index.provider_chunks = real
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM _migrations WHERE name = '0008_provider_id_search'")


def test_migration_0008_makes_stored_mail_findable_by_provider_id(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    _stored_before_0008(path, 6)
    with Store(str(path)) as store:
        assert _ids_with(store, SES_ID + "4") == _ids_with(store, "subject:Note 4")
        assert len(_ids_with(store, RESEND_ID[:-6] + "000003")) == 1
        assert len(_ids_with(store, RESEND_ID[:20])) == 3  # a shared piece: 1, 3, 5
        assert len(_ids_with(store, "old")) == 6 and len(_ids_with(store, "plain")) == 1
        # New mail after it still gets a vocabulary row of its own.
        store.messages.ingest_sync(_raw(9, "afterwards"), Envelope("a@b", ()))
        assert len(_ids_with(store, "fterward")) == 1


def test_migration_0008_run_twice_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    _stored_before_0008(path, 4)
    with Store(str(path)):
        pass
    script = dict(migrations())["0008_provider_id_search"]
    with sqlite3.connect(path, isolation_level=None) as conn:
        before = conn.execute("SELECT seq, text FROM search_text ORDER BY seq").fetchall()
        rows = conn.execute("SELECT count(*) FROM search_vocab_batches").fetchone()[0]
        for statement in split_statements(script):
            conn.execute(statement)
        assert conn.execute("SELECT seq, text FROM search_text ORDER BY seq").fetchall() == before
        assert conn.execute("SELECT count(*) FROM search_vocab_batches").fetchone()[0] == rows
        conn.execute("INSERT INTO messages_search (messages_search) VALUES ('integrity-check')")


# -- a big message, committed off the loop ----------------------------------------------------


def test_a_heavy_job_commits_on_another_thread_and_later_jobs_wait_for_it(store: Store) -> None:
    threads: list[str] = []
    seen: list[Event] = []

    with sqlite3.connect(store.path) as conn:
        conn.execute("CREATE TABLE t (v INTEGER)")

    def heavy(tx: Tx) -> int:
        threads.append(threading.current_thread().name)
        tx.execute("INSERT INTO t VALUES (1)")
        tx.emit(MessagesUpdated(("x",)))
        return 1

    def light(tx: Tx) -> int:
        threads.append(threading.current_thread().name)
        return int(tx.execute("SELECT count(*) FROM t").fetchone()[0])

    async def go() -> tuple[int, int]:
        store.writer._publish = seen.append  # published on the loop's thread
        first = asyncio.ensure_future(store.writer.run(heavy, heavy=True))
        for _ in range(100):  # until the heavy group has left for its thread
            if store.writer._busy:
                break
            await asyncio.sleep(0)
        second = await store.writer.run(light)
        return await first, second

    result = asyncio.run(asyncio.wait_for(go(), 60))
    assert result == (1, 1)  # the light job ran after the heavy one committed
    assert threads[0] != threading.current_thread().name
    assert threads[1] == threading.current_thread().name
    assert seen == [MessagesUpdated(("x",))]


def test_a_big_message_is_stored_and_found(store: Store) -> None:
    body = "bigword " + "x" * 200_000
    raw = f"From: a@example.com\r\nTo: b@example.com\r\nSubject: big\r\n\r\n{body}\r\n".encode()

    async def go() -> str:
        return (await store.messages.ingest(raw, Envelope("a@b", ()))).id

    message_id = asyncio.run(go())
    assert _ids_with(store, "bigword") == [message_id]
    seq = store.messages.seq_of(message_id)
    assert seq is not None and store.messages.raw(seq) == raw


# -- the simulator's records ------------------------------------------------------------------


def test_the_simulator_records_a_batch_in_a_few_statements(tmp_path: Path) -> None:
    clock, bus = Clock.frozen(), Bus()
    told: list[EventsOccurred] = []
    bus.listen(told.append, EventsOccurred)
    statements: list[str] = []
    with Store(str(tmp_path / "s.db"), clock=clock, publish=bus.publish) as store:
        simulator = Simulator(store, bus, clock, ingest=store.messages.ingest)

        async def go() -> None:
            simulator.start()
            await asyncio.gather(
                *(
                    store.messages.ingest(
                        _raw(i, "hi"), Envelope("a@b", (f"u{i}@example.com", f"v{i}@example.com"))
                    )
                    for i in range(30)
                )
            )
            store.writer._conn.set_trace_callback(statements.append)  # type: ignore[union-attr]
            await simulator.idle()
            await simulator.close()

        asyncio.run(go())
        inserts = [s for s in statements if s.startswith(("INSERT", "INSERT OR IGNORE"))]
        assert len(inserts) <= 4  # deliveries, events, their recipients (plus a split)
        events = store.deliveries.events()
        assert len(events) == 60  # send and delivery of 30 messages
        assert {e.kind for e in events} == {Kind.SEND, Kind.DELIVERY}
        ids = [e.id for e in events]
        assert len(set(ids)) == 60
        for event in events:
            assert len(event.recipients) == 2
            assert store.deliveries.recent_for(event.recipients[0])
        published = [e for t in told for e in t.events]
        assert sorted(e.id for e in published) == sorted(ids)
