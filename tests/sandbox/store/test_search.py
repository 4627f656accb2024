"""Mailpit's search syntax read term by term, its dates, and the index behind it: exact counts by
every route, one index segment per group commit, the vocabulary, and the upgrade from 0001's
word index. What matches what is held to a reference in test_search_semantics.py."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailyard.sandbox.clock import Clock
from mailyard.sandbox.errors import QueryError
from mailyard.sandbox.mail.summary import summarize
from mailyard.sandbox.store import Store
from mailyard.sandbox.store.matches import Counts
from mailyard.sandbox.store.migrate import migrate, migrations, split_statements
from mailyard.sandbox.store.records import Envelope
from mailyard.sandbox.store.search import (
    MAX_QUERY,
    MAX_TERMS,
    Needle,
    Note,
    args,
    clean,
    compile_query,
    required_text,
    size_to_bytes,
)
from mailyard.sandbox.store.search_dates import parse_when, zone
from mailyard.sandbox.store.search_index import _words_of, chunks, words
from mailyard.sandbox.store.search_vocab import containing, prune
from mailyard.sandbox.store.writer import Tx

NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z

# -- reading the query ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "terms"),
    [
        ('from:"Jane Doe" x', ["from:Jane Doe", "x"]),
        ('"-foo"', ["-foo"]),  # quotes go, the minus stays: it negates
        ('a"b c"d', ["ab cd"]),
        ("a\tb  c", ["a\tb", "c"]),  # only the space splits
        ('"unclosed quote', ["unclosed quote"]),
        ('""', []),
        ("  ", []),
        ("\u3000x\u3000", ["x"]),  # Go's TrimSpace trims Unicode spaces
    ],
)
def test_args_split_as_mailpit(query: str, terms: list[str]) -> None:
    assert args(query) == terms


def test_clean_is_mailpits_clean_string_casefolded() -> None:
    assert clean('  A,B;(C) <d@e> "F"\tG\r\nH\ufeffI  ') == "a b c d@e f g h i"
    assert clean("Straße") == "strasse"
    assert clean("a\u00a0\u2003b") == "a b"


@pytest.mark.parametrize(
    ("value", "size"),
    [
        ("500", 500),
        ("10k", 10240),
        ("10KB", 10240),
        ("1.5m", 1572864),
        ("2 mb", 2097152),
        ("0.5", 0),
        ("1g", 0),
        ("abc", 0),
        ("-1", 0),
        ("1" * 41, 0),
    ],
)
def test_sizes_as_mailpit(value: str, size: int) -> None:
    assert size_to_bytes(value) == size


def test_each_term_is_the_first_rule_that_fits() -> None:
    q = compile_query(
        "to:Jane !FROM:x -subject:Re: message-id:<A@B> addressed:ops invoice is:bogus",
        now=NOW,
    )
    assert q.needles == (
        Needle(("to_",), "jane"),
        Needle(("from_",), "x", negate=True),
        Needle(("subject",), "re:", negate=True),
        Needle(("message_id",), "a@b"),
        Needle(("to_", "from_", "cc", "bcc", "reply_to"), "ops"),
        Needle(("text",), "invoice"),
        Needle(("text",), "is:bogus"),
    )


def test_lenient_terms_become_text_or_nothing() -> None:
    assert compile_query("larger:abc has:wings", now=NOW).needles == (
        Needle(("text",), "larger:abc"),
        Needle(("text",), "has:wings"),
    )
    ignored = compile_query('to: before:garbage after:"" , ; subject:', now=NOW)
    assert ignored.everything
    assert compile_query("", now=NOW).everything
    assert not compile_query("is:read", now=NOW).everything


def test_lenient_terms_are_noted_as_read() -> None:
    q = compile_query(
        'to: -before:garbage after:"" is:starred !has:wings larger:lots smaller: '
        "tag: mailbox: message-id: before:2026-01-01 is:read invoice",
        tz="No/Where",
        now=NOW,
    )
    assert [n.message for n in q.notes] == [
        "tz=No/Where is not a known time zone, so the server's time zone was used",
        "to: has no value, so it was ignored",
        "-before:garbage is not a date, so it was ignored",
        "after: has no value, so it was ignored",
        "is:starred is not one of is:read, is:unread, is:tagged, so it was searched as text",
        "!has:wings is not one of has:attachment, has:inline, so it was searched as text",
        "larger:lots is not a size (such as 500, 10k, 1.5mb), so it was searched as text",
        "smaller: is not a size (such as 500, 10k, 1.5mb), so it was searched as text",
        "tag: has no value, so it was ignored",
        "mailbox: has no value, so it was ignored",
        "message-id: has no value, so it was ignored",
    ]
    assert q.notes[2] == Note("-before:garbage", "is not a date", "ignored")
    assert compile_query("before:2026-01-01 is:read larger:10k x", tz="UTC", now=NOW).notes == ()


def test_read_filters_combine() -> None:
    assert compile_query("is:read", now=NOW).read == {1}
    assert compile_query("-is:read", now=NOW).read == {0}
    assert compile_query("!is:unread", now=NOW).read == {1}
    assert compile_query("is:read is:unread", now=NOW).read == set()


def test_only_size_bounds_refuse_a_query() -> None:
    with pytest.raises(QueryError):
        compile_query("x" * (MAX_QUERY + 1), now=NOW)
    with pytest.raises(QueryError):
        compile_query(" ".join(["x"] * (MAX_TERMS + 1)), now=NOW)
    compile_query("is:maybe has:wings before:soon larger:lots subject:", tz="No/Where", now=NOW)


def test_required_text_is_each_positive_needle_whole() -> None:
    assert required_text('to:jane@example.com "order shipped" -spam is:read') == [
        (("to_",), "jane@example.com"),
        (("text",), "order shipped"),
    ]


def test_words_list_the_words_of_chunks_that_are_not_plain() -> None:
    assert words("plain words only") == ""
    assert words("mail jane@ex.com and re-set") == "jane ex com \ufffe re set \ufffe"
    assert words("東京タワー") == "東 京 タ ワ ー \ufffe"
    assert words("a_b") == "a b \ufffe"


@given(st.text(alphabet="abXY09 _-.@,再設ワé\u2019\t\u00a0\x01", max_size=40))
def test_words_fast_path_is_the_plain_one(text: str) -> None:
    assert words(text) == words(text, chunks(text)) == _words_of(chunks(text))


# -- dates ------------------------------------------------------------------------------------

UTC_MS = int(datetime(2026, 12, 1, tzinfo=UTC).timestamp() * 1000)


@pytest.mark.parametrize(
    ("value", "millis"),
    [
        ("2026-12-01", UTC_MS),
        ("2026/12/01", UTC_MS),
        ("2026/12/1", UTC_MS),
        ("2026.12.01", UTC_MS),
        ("2026:12:01", UTC_MS),
        ("20261201", UTC_MS),
        ("12/01/2026", UTC_MS),  # month first
        ("12/1/26", UTC_MS),
        ("1 DEC 2026", UTC_MS),
        ("DEC 1 2026", UTC_MS),  # "Dec 1, 2026" cleaned
        ("DECEMBER 1ST 2026", UTC_MS),
        ("2026-DEC-01", UTC_MS),
        ("2026-12-01T00:00:00Z", UTC_MS),
        ("2026-12-01T02:00:00+02:00", UTC_MS),
        ("2026-12-01 01:00:00 +0100", UTC_MS),
        ("2026-12-01T10:00:00.250Z", UTC_MS + 36_000_250),
        ("2026-12-01 10:30", UTC_MS + 37_800_000),
        ("2026-12-01 10:30 PM", None),  # 22:30 is not 10:30 PM's hour form
        ("2026-12-01 10:30:00 PM", UTC_MS + 81_000_000),
        ("TUE 1 DEC 2026 00:00:00 +0000 UTC", UTC_MS),
        ("TUE DEC 1 00:00:00 2026", UTC_MS),
        ("2026-12", UTC_MS),
        ("2026", int(datetime(2026, 1, 1, tzinfo=UTC).timestamp() * 1000)),
        ("2026年12月01日", UTC_MS),
        (str(UTC_MS // 1000), UTC_MS),
        (str(UTC_MS), UTC_MS),
        (str(UTC_MS * 1000), UTC_MS),
        (str(UTC_MS * 1_000_000), UTC_MS),
        ("7D", int((NOW - 7 * 86400) * 1000)),
        ("90M", int((NOW - 5400) * 1000)),
        ("TOMORROW", None),
        ("2026-13-01", None),
        ("12345", None),
        ("", None),
        ("9" * 81, None),
    ],
)
def test_dates_as_dateparse_reads_them(value: str, millis: int | None) -> None:
    if value == "2026-12-01 10:30 PM":
        millis = UTC_MS + 81_000_000  # dateparse reads it as 22:30 too
    assert parse_when(value, ZoneInfo("UTC"), NOW) == millis


def test_a_date_without_offset_is_in_tz() -> None:
    tokyo = parse_when("2026-12-01", zone("Asia/Tokyo"), NOW)
    assert tokyo == UTC_MS - 9 * 3600 * 1000
    assert zone("No/Such_Zone") is None and zone("") is None and zone("Local") is None
    assert zone("UTC") == ZoneInfo("UTC")


# -- counts, by each of their routes ------------------------------------------------------


def _raw(i: int, word: str) -> bytes:
    return (
        f"From: App <app@example.com>\r\nTo: user{i}@example.com\r\nSubject: Note {i}\r\n\r\n"
        f"hello {word} world\r\n"
    ).encode()


@pytest.fixture
def many(tmp_path: Path) -> Store:
    store = Store(str(tmp_path / "s.db"), clock=Clock.frozen(NOW))
    store.open()

    async def fill() -> None:
        await asyncio.gather(
            *(
                store.messages.ingest(_raw(i, "common" if i % 10 else "rare"), Envelope("a@b", ()))
                for i in range(240)
            )
        )

    asyncio.run(fill())
    return store


def _ids_with(store: Store, query: str) -> list[str]:
    return [m.id for m in store.messages.page(limit=1000, query=query).messages]


def _counted(store: Store, query: str) -> tuple[int, int]:
    """The counts as a search counts them (the page never holds every match)."""
    page = store.messages.page(limit=5, query=query)
    return page.count, page.count_unread


def _listed(store: Store, query: str) -> tuple[int, int]:
    """The counts of the listing itself: what `_counted` must agree with."""
    found = store.messages.page(limit=1000, query=query).messages
    return len(found), sum(not m.read for m in found)


def test_counts_are_exact_by_every_route(many: Store) -> None:
    sql: list[str] = []
    many.reader().set_trace_callback(sql.append)  # to see which route each count took

    def route(query: str) -> str:
        many.messages.counts = Counts()  # count from the index, not from kept counts
        sql.clear()
        counted = _counted(many, query)
        counting = " ".join(q for q in sql if "count(" in q or "sum(" in q)
        assert counted == _listed(many, query), query
        if "{meta} : (s" in counting:
            return "named"
        return "joined" if " JOIN " in counting else "index"

    everything = _ids_with(many, "hello")
    assert len(everything) == 240
    assert _counted(many, "common") == (216, 216)
    assert route("common") == "index"  # none read: every match is unread
    asyncio.run(many.messages.set_read(True, ids=everything[:2]))
    assert route("common") == "named"  # the two read ones are named
    for query in ("common is:unread", "common is:read", "-rare"):
        route(query)
    asyncio.run(many.messages.set_read(True))
    asyncio.run(many.messages.set_read(False, ids=everything[:2]))
    assert route("common") == "named"  # the two unread ones are named
    for query in ("common is:unread", "common is:read", "-rare"):
        route(query)
    asyncio.run(many.messages.set_read(False, ids=everything[::2]))
    assert route("common") == "joined"  # half and half
    for query in ("common is:unread", "-rare", "common larger:10", "hello -is:read"):
        route(query)
    assert route('subject:" 1"') == "joined"  # a text check (the leading space)
    assert _counted(many, 'subject:"note  1"') == (0, 0)
    assert _counted(many, "is:read is:unread") == (0, 0)
    many.reader().set_trace_callback(None)


def test_kept_counts_follow_arrivals_reads_and_deletes(many: Store) -> None:
    counts = many.messages.counts
    queries = ("common", "-rare", "common is:unread", "hello -common")
    asyncio.run(many.messages.set_read(True, ids=_ids_with(many, "hello")[:3]))

    def check(full: int) -> None:
        """Every query counts as its listing does; `full` of them counted the whole index."""
        before = counts.full
        for query in queries:
            assert _counted(many, query) == _listed(many, query), query
        assert counts.full - before == full

    check(full=3)  # "common" and "common is:unread" share the index expression
    check(full=0)  # asked again: kept
    for i in range(240, 250):  # arrivals: only they are counted
        many.messages.ingest_sync(_raw(i, "common" if i % 2 else "rare"), Envelope("a@b", ()))
    check(full=0)
    assert _counted(many, "common") == (221, 218)
    # A read change (even one that leaves the unread total as it was) or a delete: recounted.
    newest = _ids_with(many, "hello")
    asyncio.run(many.messages.set_read(True, ids=newest[:1]))
    asyncio.run(many.messages.set_read(False, ids=newest[-1:]))
    check(full=3)
    asyncio.run(many.messages.delete(ids=newest[1:4]))
    check(full=3)
    assert _counted(many, "common") == _listed(many, "common")


def test_counts_within_a_mailbox(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "s.db"), clock=Clock.frozen(NOW))
    store.open()
    for i in range(200):
        box = "ci" if i % 2 else "dev"
        store.messages.ingest_sync(_raw(i, "common"), Envelope("a@b", (), mailbox=box))
    ids = [m.id for m in store.messages.page(mailbox="ci", limit=3).messages]
    asyncio.run(store.messages.set_read(True, ids=ids))
    page = store.messages.page(mailbox="ci", limit=5, query="common")
    assert (page.total, page.unread, page.count, page.count_unread) == (100, 97, 100, 97)
    assert store.messages.page(limit=5, query="common mailbox:dev").count_unread == 100
    store.close()


def test_created_before_is_mailpits_before_parameter(tmp_path: Path) -> None:
    clock = Clock.frozen(NOW)
    store = Store(str(tmp_path / "s.db"), clock=clock)
    store.open()
    for i in range(6):
        store.messages.ingest_sync(_raw(i, "common"), Envelope("a@b", ()))
        clock.advance(10)
    cut = NOW + 30  # the fourth message's instant: excluded (Created < before)
    search = store.messages.page(limit=2, query="common", created_before=cut)
    assert [m.subject for m in search.messages] == ["Note 2", "Note 1"]
    assert (search.count, search.count_unread, search.total) == (3, 3, 6)
    listing = store.messages.page(limit=2, created_before=cut)
    assert [m.subject for m in listing.messages] == ["Note 2", "Note 1"]
    assert (listing.count, listing.total) == (6, 6)  # a listing keeps the mailbox's counts
    store.close()


def test_limit_zero_gives_only_the_counts(many: Store) -> None:
    page = many.messages.page(limit=0, query="rare")
    assert page.messages == [] and page.count == 24


# -- the index --------------------------------------------------------------------------------


def _segments(store: Store) -> int:
    """Leaf pages FTS5 has written (each flush writes a new segment of at least one)."""
    with sqlite3.connect(store.path) as conn:
        return int(conn.execute("SELECT count(*) FROM messages_search_data").fetchone()[0])


def test_a_group_commit_writes_one_index_segment(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "s.db"))
    store.open()
    before = _segments(store)

    async def burst() -> None:
        await asyncio.gather(
            *(store.messages.ingest(_raw(i, f"w{i}"), Envelope("a@b", ())) for i in range(60))
        )

    asyncio.run(burst())
    assert store.writer.commits <= 3
    # A flush per message (a statement savepoint per message) would write 60 segments or more.
    assert _segments(store) - before < 20
    assert len(_ids_with(store, "w5")) == 11  # w5, w50..w59
    store.close()


def test_a_rolled_back_token_is_not_remembered(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "s.db"))
    store.open()
    messages = store.messages

    def fail_after_insert(tx: Tx) -> None:
        raw = _raw(1, "ephemeral")
        messages._insert(tx, raw, Envelope("a@b", ()), summarize(raw, []))
        raise RuntimeError("the job fails after indexing")

    with pytest.raises(RuntimeError):
        store.writer.call(fail_after_insert)
    messages.ingest_sync(_raw(2, "ephemeral"), Envelope("a@b", ()))
    assert len(_ids_with(store, "phemera")) == 1  # the token came back with the second message
    store.close()


def test_deleting_everything_empties_the_vocabulary(many: Store) -> None:
    asyncio.run(many.messages.delete())
    with sqlite3.connect(many.path) as conn:
        assert conn.execute("SELECT count(*) FROM search_vocab_batches").fetchone()[0] == 0
    many.messages.ingest_sync(_raw(1, "again"), Envelope("a@b", ()))
    assert len(_ids_with(many, "gain")) == 1


def test_prune_drops_the_tokens_of_deleted_mail(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "s.db"))
    store.open()
    store.messages.ingest_sync(_raw(1, "keepme"), Envelope("a@b", ()))
    store.messages.ingest_sync(_raw(2, "dropme"), Envelope("a@b", ()))
    asyncio.run(store.messages.delete_matching("dropme"))
    assert store.writer.call(lambda tx: prune(tx.conn)) >= 1
    with sqlite3.connect(store.path) as conn:
        rows = conn.execute("SELECT words || ' ' || chunks FROM search_vocab_batches")
        terms = {t for r in rows for t in r[0].split()}
    assert "keepme" in terms and "dropme" not in terms
    store.messages.ingest_sync(_raw(3, "dropme"), Envelope("a@b", ()))
    assert len(_ids_with(store, "ropm")) == 1
    store.close()


class _CountingRows:
    """A connection whose vocabulary query yields `rows`, counting how many were read."""

    def __init__(self, rows: list[tuple[str, str]]) -> None:
        self.rows, self.read = rows, 0

    def execute(self, sql: str, params: tuple[object, ...]) -> Iterator[tuple[str, str]]:
        for row in self.rows:
            self.read += 1
            yield row


def test_a_vocabulary_lookup_stops_once_the_answer_is_too_many() -> None:
    # Every message brought a token holding "order" (its Message-ID, a reset link): reading
    # them all cost ~45 ms a search at 10,000 messages, to find out there are too many.
    rows = [(f"order{i}x order{i}y", f"<order-{i}@shop.example>") for i in range(400)]
    conn = _CountingRows(rows)
    found = containing(conn, "order", words_only=False, fetch=512, most=16)  # type: ignore[arg-type]
    assert found is None
    assert conn.read == 6  # 18 tokens in 6 rows: past 16
    starting = _CountingRows(rows)
    found = containing(  # type: ignore[arg-type]
        starting, "order", words_only=True, fetch=512, most=16, keep=lambda t: t.endswith("x")
    )
    assert found is None and starting.read == 17
    few = _CountingRows(rows[:5])
    assert (
        containing(few, "order", words_only=True, fetch=512, most=16)
        == sorted(  # type: ignore[arg-type]
            t for r in rows[:5] for t in r[0].split()
        )
    )


def test_delete_and_mark_matching(many: Store) -> None:
    assert asyncio.run(many.messages.set_read(True, query="rare")) == 24
    assert many.messages.page(limit=1, query="is:read").count == 24
    assert asyncio.run(many.messages.delete_matching("rar")) == 24
    assert many.messages.page(limit=1, query="rare").count == 0
    assert many.messages.totals() == (216, 216)


# -- the upgrade from migration 0001's word index ------------------------------------------


def test_upgrade_rebuilds_the_index_from_0001(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for name, script in migrations():
        if name.startswith(("0001", "0002")):
            for statement in split_statements(script):
                conn.execute(statement)
            conn.execute("INSERT INTO _migrations VALUES (?, '2026-01-01')", (name,))
    # A message as 0.1.0 stored it: the word index held casefolded text, CJK spaced apart.
    conn.execute(
        "INSERT INTO messages (id, mailbox, created, created_ts, mail_from, from_json, to_json, "
        "subject, message_id, size, attachments, read) VALUES ('OLD1', 'ci', "
        "'2025-01-01T00:00:00Z', 1735689600, 'bounce@old.example', '[\"Jürgen\", "
        "\"jg@old.example\"]', '[[\"\", \"jane@example.com\"]]', 'Invoice 4930 für Sie', '', "
        "100, 1, 0)"
    )
    conn.execute(
        "INSERT INTO messages_fts (rowid, subject, from_, to_, cc, bcc, reply_to, message_id, "
        "body) VALUES (1, 'invoice 4930 für sie', 'jürgen <jg@old.example>', "
        "' <jane@example.com>', '', '', '', '', 'please pay, order-12.  再 設 定 ')"
    )
    conn.execute("INSERT INTO mailbox_stats (mailbox, total, unread) VALUES ('ci', 1, 1)")
    migrate(conn, NOW)
    conn.close()
    store = Store(str(path))
    store.open()
    for query in (
        "voice",
        "930",
        "subject:R SIE",
        "from:ürgen",
        "from:jg@old",
        "to:jane@example.com",
        "bounce@old",
        "message-id:old1@mailpit",
        "der-1",
        '"pay order"',  # the comma is cleaned, as Mailpit cleans
        "再設定",
        "mailbox:ci has:attachment",
    ):
        assert len(_ids_with(store, query)) == 1, query
    store.messages.ingest_sync(_raw(5, "fresh"), Envelope("a@b", ()))
    assert len(_ids_with(store, "example.com")) == 2
    store.close()
