"""Waiting for new mail that matches a query: the long poll behind `messages/wait` and every
test helper built on it.

A commit must not wake every waiter to re-run its query: with a thousand open long polls that
starved ingest to a crawl. Instead each `MessageStored` event is matched in memory first:

1. waiters are kept per mailbox, so mail to one mailbox never touches another's waiters;
2. each waiter is indexed by one needle its query requires (`search.required_text`), e.g.
   "jane@example.com" for `to:jane@example.com` (or `addressed:`, over the addresses
   together); for a new message, the needles present in its
   text are found by looking up its substrings of each needle length (a few dozen dictionary
   lookups for an address, whatever the number of waiters), or by scanning the needles when the
   text is long and the needles few;
3. a candidate's other required needles are checked in memory, and only then is the query
   confirmed in SQL, from the waiter's cursor, in a batch after the commit's events.

When the needles are the whole query (`to:`, `addressed:`, `subject:`: what the test helpers
ask), the memory check is the query's own rule (a substring of the same indexed text), so the
first message that passes it is the answer: it is only read back by its seq, which skips the
search's vocabulary lookup (~1.5 ms of the ~2 ms from commit to answer, measured).

Waiters whose queries require no text (`is:unread`, empty) are confirmed on every commit to
their mailbox; there are few of them in practice, and each confirmation is one indexed query.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from mailyard.sandbox.errors import QueryError
from mailyard.sandbox.events import Bus, MessageStored
from mailyard.sandbox.store.records import MessageSummary

log = logging.getLogger("mailyard.store")

# Texts longer than this are matched by scanning the needles (memmem) instead of windows.
WINDOW_LIMIT = 512
# Confirmations per loop iteration before yielding to other work: each is a query (0.1-0.5 ms),
# and an SMTP reply waiting behind a batch waits for all of it (ack p99 < 20 ms, issue 9).
CONFIRM_BATCH = 16

# The key of needles in any address column (`addressed:`): their texts joined by a newline,
# which no cleaned needle holds, so that a needle never spans two of them.
ADDRESSED = "addressed"

# (after, query, mailbox, tz) -> the oldest match newer than `after`
Find = Callable[[int, str, str | None, str | None], MessageSummary | None]


@dataclass(eq=False)
class Waiter:
    mailbox: str | None
    query: str
    tz: str | None
    after: int
    future: asyncio.Future[MessageSummary | None]
    needles: list[tuple[tuple[str, ...], str]] = field(default_factory=list)
    key: tuple[str, str] | None = None  # (column, needle) it is indexed by
    decided: bool = False  # the needles decide the query (`_decided_by_needles`)
    candidate: tuple[int, str] | None = None  # (seq, ID) of the first message holding them


class _Texts:
    """The indexed text of one new message, column by column (as `search_index` writes it),
    worked out once and shared by every waiter."""

    def __init__(self, event: MessageStored) -> None:
        self._event = event
        self._cache: dict[str, str] = {}

    def get(self, column: str) -> str:
        text = self._cache.get(column)
        if text is None:
            from mailyard.sandbox.store import search_index  # see Waiters.wait

            e = self._event
            text = ""
            if column == ADDRESSED:
                text = "\n".join(self.get(c) for c in search_index.ADDRESSES)
            elif e.summary is not None:
                shown = search_index.shown_message_id(e.summary.message_id, e.id)
                text = search_index.column_text(
                    e.summary, column, e.mail_from, shown, e.provider_id
                )
            self._cache[column] = text
        return text

    def holds(self, columns: tuple[str, ...], needle: str) -> bool:
        return any(needle in self.get(c) for c in columns)


class _Index:
    """Waiters of one mailbox: by (column, needle), and those with nothing to index."""

    def __init__(self) -> None:
        self.by_needle: dict[str, dict[str, set[Waiter]]] = defaultdict(lambda: defaultdict(set))
        self.lengths: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.unindexed: set[Waiter] = set()

    def add(self, waiter: Waiter) -> None:
        waiter.key = self._choose_key(waiter.needles)
        if waiter.key is None:
            self.unindexed.add(waiter)
            return
        column, needle = waiter.key
        self.by_needle[column][needle].add(waiter)
        self.lengths[column][len(needle)] += 1

    def remove(self, waiter: Waiter) -> None:
        if waiter.key is None:
            self.unindexed.discard(waiter)
            return
        column, needle = waiter.key
        bucket = self.by_needle[column].get(needle)
        if bucket is not None:
            bucket.discard(waiter)
            if not bucket:
                del self.by_needle[column][needle]
        self.lengths[column][len(needle)] -= 1
        if not self.lengths[column][len(needle)]:
            del self.lengths[column][len(needle)]

    def _choose_key(self, needles: list[tuple[tuple[str, ...], str]]) -> tuple[str, str] | None:
        """The needle to index a waiter by: one that names a single short column (or every
        address column), and of those the one fewest other waiters share (then the longest), so
        that one common word ("example" in every address) does not put every waiter in one
        bucket."""
        single = [(k, n) for cols, n in needles if (k := _key_column(cols)) is not None]
        if not single:
            return None

        def crowd(pair: tuple[str, str]) -> tuple[int, int]:
            bucket = self.by_needle.get(pair[0], {}).get(pair[1], ())
            return len(bucket), -len(pair[1])

        return min(single, key=crowd)

    def empty(self) -> bool:
        return not self.unindexed and not any(self.by_needle.values())

    def candidates(self, texts: _Texts) -> set[Waiter]:
        found = set(self.unindexed)
        for column, needles in self.by_needle.items():
            if not needles:
                continue
            text = texts.get(column)
            lengths = self.lengths[column]
            if len(text) * len(lengths) <= max(WINDOW_LIMIT, len(needles)):
                for size in lengths:
                    for start in range(len(text) - size + 1):
                        hit = needles.get(text[start : start + size])
                        if hit:
                            found |= hit
            else:
                for needle, waiters in needles.items():
                    if needle in text:
                        found |= waiters
        return found


def _key_column(columns: tuple[str, ...]) -> str | None:
    """The column a needle over `columns` is indexed under; None for the long free text."""
    if len(columns) == 1 and columns[0] != "text":
        return columns[0]
    from mailyard.sandbox.store import search_index  # see Waiters.wait

    return ADDRESSED if sorted(columns) == sorted(search_index.ADDRESSES) else None


def _expire(future: asyncio.Future[MessageSummary | None]) -> None:
    if not future.done():
        future.set_result(None)


def _decided_by_needles(query: str) -> bool:
    """Whether every term of `query` is a needle over short columns: then a message matches
    exactly when each needle is in one of its columns' indexed text (what `_Texts.holds`
    tests). Free text (the body) is left to the database, and so is any negation, date, flag,
    read state or mailbox term."""
    from mailyard.sandbox.store.search import compile_query  # see Waiters.wait

    try:
        compiled = compile_query(query, now=0.0)
    except QueryError:
        return False
    return (
        bool(compiled.needles)
        and not (compiled.flags or compiled.where or compiled.mailboxes)
        and compiled.read == {0, 1}
        and all(not n.negate and "text" not in n.columns for n in compiled.needles)
    )


class Waiters:
    """Open long polls, woken only by the new messages that can match them."""

    def __init__(self, bus: Bus, find: Find) -> None:
        self._find = find
        self._indexes: dict[str | None, _Index] = {}
        self._pending: set[Waiter] = set()
        self._scheduled = False
        self._unlisten = bus.listen(self._on_stored, MessageStored)
        self.confirmations = 0  # SQL confirmations run (a measure of the work saved)
        self.examined = 0  # candidates checked in memory
        self.closed = False

    def __len__(self) -> int:
        return sum(
            len(i.unindexed) + sum(len(w) for n in i.by_needle.values() for w in n.values())
            for i in self._indexes.values()
        )

    async def wait(
        self, after: int, query: str, mailbox: str | None, timeout: float, tz: str | None = None
    ) -> MessageSummary | None:
        """The oldest message newer than `after` matching `query`, as soon as it is committed;
        None when `timeout` seconds pass first (or the service stops)."""
        found = self._find(after, query, mailbox, tz)
        if found is not None or self.closed:
            return found
        # Imported here, as in every function of this module: the search stack (its Unicode
        # regexes) loads with the first wait, message or search, not at start (issue 10).
        from mailyard.sandbox.store.search import required_text

        loop = asyncio.get_running_loop()
        needles = required_text(query)
        waiter = Waiter(mailbox, query, tz, after, loop.create_future(), needles)
        waiter.decided = bool(needles) and _decided_by_needles(query)
        index = self._indexes.setdefault(mailbox, _Index())
        index.add(waiter)
        # A timer that answers None, not asyncio.wait_for: that wakes this task through a
        # future of its own, a loop iteration later (behind whatever else is ready).
        timer = loop.call_later(timeout, _expire, waiter.future)
        try:
            return await waiter.future
        finally:
            timer.cancel()
            index.remove(waiter)
            self._pending.discard(waiter)
            if index.empty():
                self._indexes.pop(mailbox, None)

    def close(self) -> None:
        """Release every waiter now (the service is stopping)."""
        self.closed = True
        self._unlisten()
        for index in self._indexes.values():
            for waiter in list(index.unindexed) + [
                w for n in index.by_needle.values() for ws in n.values() for w in ws
            ]:
                if not waiter.future.done():
                    waiter.future.set_result(None)

    def _on_stored(self, event: MessageStored) -> None:
        if not self._indexes:
            return
        texts = _Texts(event)
        for mailbox in (event.mailbox, None):
            index = self._indexes.get(mailbox)
            if index is None:
                continue
            for waiter in index.candidates(texts):
                if waiter.future.done() or waiter in self._pending:
                    continue
                self.examined += 1
                if event.summary is not None and not all(
                    texts.holds(columns, needle) for columns, needle in waiter.needles
                ):
                    continue
                if waiter.decided and event.summary is not None and event.seq > waiter.after:
                    # Events come in commit order, and mail committed before the waiter began
                    # was searched when it began: this is the oldest match.
                    waiter.candidate = (event.seq, event.id)
                self._pending.add(waiter)
        if self._pending and not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._confirm)

    def _confirm(self) -> None:
        """Ask the database, for a batch of candidates; the rest in the next loop iteration."""
        self._scheduled = False
        for _ in range(min(CONFIRM_BATCH, len(self._pending))):
            waiter = self._pending.pop()
            if waiter.future.done():
                continue
            self.confirmations += 1
            try:
                found = self._found(waiter)
            except Exception as exc:  # the query was checked on entry; a store fault ends it
                waiter.future.set_exception(exc)
                continue
            if found is not None:
                waiter.future.set_result(found)
        if self._pending:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._confirm)

    def _found(self, waiter: Waiter) -> MessageSummary | None:
        """The waiter's answer: its candidate read back by seq (any query holds only it
        there), or, without one or if it was deleted meanwhile, the query run again."""
        if waiter.candidate is not None:
            seq, id_ = waiter.candidate
            waiter.candidate = None
            found = self._find(seq - 1, "", None, None)
            if found is not None and found.id == id_:
                return found
        return self._find(waiter.after, waiter.query, waiter.mailbox, waiter.tz)
