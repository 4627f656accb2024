"""The messages a search matches: listed newest first, and counted exactly, as Mailpit counts.

Listing is cheap however many match: the index yields rowids newest first and stops at the page.
Counting all matches and the unread among them is what costs, so it avoids `messages` when it
can (measured at 100,000 messages, a word in 92% of them, 2 shared cores):

- the matches are counted in the index alone (`count(*)` over its doclists: 4-7 ms);
- the unread among them: joining each match to `messages` took 35-100 ms. Instead the smaller
  of the read and the unread messages of the mailbox (from `mailbox_stats`; usually few: mail
  is read by the tests, or never) are named by their `s<seq>` tokens, and the index counts the
  matches among them (300 read messages: 2-8 ms). When both are many, it joins.

Both still read every match's doclist entry (a word in 95% of 100,000 messages: 20-50 ms on a
loaded machine). So those counts are kept (`Counts`): a search asked again (the inbox re-asks
its query at every arrival, a test helper polls) counts only the messages that arrived since,
from the index's rowid range. A delete or a read change (`search_generation`, bumped by
triggers, read in the same snapshot) drops what was kept.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the search stack loads with the first search, not at start
    from mailyard.sandbox.store.search_plan import Plan

# Naming a message in the query costs about a doclist lookup (~25 us over a dozen segments);
# joining a match to `messages` about 0.3-1 us: name at most this many, and only when
# `MATCH_COST` x the matches is more.
MAX_NAMED = 1000
MATCH_COST = 1 / 80


@dataclass(frozen=True)
class _Kept:
    generation: int
    cursor: int  # the newest seq the counts include
    found: int
    unread: int


class Counts:
    """Index-only counts of recent searches (`SIZE` of them), exact for the snapshot they are
    asked in: kept with the `search_generation` and newest seq they were counted at, and
    topped up with the matches among the messages that arrived since."""

    SIZE = 64

    def __init__(self) -> None:
        self._kept: OrderedDict[str, _Kept] = OrderedDict()
        self._lock = threading.Lock()
        self.full = 0  # counts made from the whole index (a measure of the work saved)

    def count(
        self, conn: sqlite3.Connection, match: str, full: Callable[[], tuple[int, int]]
    ) -> tuple[int, int]:
        """(matches, unread matches) of the index expression `match`; `full()` counts them
        from scratch. Call inside the snapshot the answer is for."""
        row = conn.execute(
            "SELECT (SELECT n FROM search_generation), "
            "(SELECT seq FROM sqlite_sequence WHERE name = 'messages')"
        ).fetchone()
        generation, cursor = int(row[0]), int(row[1] or 0)
        with self._lock:
            kept = self._kept.get(match)
        if kept is None or kept.generation != generation or kept.cursor > cursor:
            self.full += 1
            found, unread = full()
        else:
            found, unread = kept.found, kept.unread
            if kept.cursor < cursor:
                new = conn.execute(
                    "SELECT count(*), coalesce(sum(m.read = 0), 0) FROM messages_search f "
                    "JOIN messages m ON m.seq = f.rowid "
                    "WHERE f.messages_search MATCH ? AND f.rowid > ?",
                    (match, kept.cursor),
                ).fetchone()
                found, unread = found + int(new[0]), unread + int(new[1])
        with self._lock:
            self._kept[match] = _Kept(generation, cursor, found, unread)
            self._kept.move_to_end(match)
            while len(self._kept) > self.SIZE:
                self._kept.popitem(last=False)
        return found, unread


@dataclass(frozen=True)
class Matches:
    """`plan` over `mailbox` (None: all): the FROM, WHERE and ordering to list its matches."""

    plan: Plan
    mailbox: str | None
    everything: bool = False  # the query restricts nothing: counts are the mailbox's totals
    counts: Counts | None = None  # where index-only counts are kept between searches

    @property
    def source(self) -> str:
        return self._source()

    def _source(self, messages: str = "messages m") -> str:
        text = " JOIN search_text t ON t.seq = m.seq" if self.plan.uses_text else ""
        if self.plan.match is not None:
            return f"messages_search f JOIN {messages} ON m.seq = f.rowid{text}"
        return f"{messages}{text}"

    @property
    def order(self) -> str:
        """The column to order and page by: the index's rowid when it drives."""
        return "f.rowid" if self.plan.match is not None else "m.seq"

    @property
    def where(self) -> tuple[str, tuple[object, ...]]:
        if self.plan.empty:
            return "0", ()
        if self.plan.match is not None:
            where = f"f.messages_search MATCH ? AND ({self.plan.where})"
            return where, (self.plan.match, *self.plan.params)
        return self.plan.where, self.plan.params

    def count(self, conn: sqlite3.Connection, totals: tuple[int, int]) -> tuple[int, int]:
        """(matches, unread matches); `totals` are (messages, unread) of the mailbox."""
        plan = self.plan
        if plan.empty:
            return 0, 0
        if self.everything:
            return totals
        if plan.match is None or plan.uses_text or plan.on_messages:
            return self._count_joined(conn)
        if plan.excluded is not None:  # the mailbox less what is excluded: no NOT per row
            hit, hit_unread = self._indexed(conn, plan.excluded, totals)
            found, unread = totals[0] - hit, totals[1] - hit_unread
        else:
            found, unread = self._indexed(conn, plan.match, totals)
        if plan.read == {0}:
            return unread, unread
        if plan.read == {1}:
            return found - unread, 0
        return found, unread

    def _indexed(
        self, conn: sqlite3.Connection, match: str, totals: tuple[int, int]
    ) -> tuple[int, int]:
        """(matches, unread matches) of the index expression `match`."""

        def full() -> tuple[int, int]:
            found = self._count_index(conn, match)
            return found, self._unread_among(conn, match, found, totals)

        return full() if self.counts is None else self.counts.count(conn, match, full)

    def _count_joined(self, conn: sqlite3.Connection) -> tuple[int, int]:
        source = self.source
        if self.plan.match is not None and not self.plan.on_messages:
            # The narrow index serves `read` and `mailbox`, not the wide summary rows.
            source = self._source("messages m INDEXED BY messages_flags")
        where, params = self.where
        row = conn.execute(
            f"SELECT count(*), coalesce(sum(m.read = 0), 0) FROM {source} WHERE {where}", params
        ).fetchone()
        return int(row[0]), int(row[1])

    @staticmethod
    def _count_index(conn: sqlite3.Connection, match: str) -> int:
        return int(
            conn.execute(
                "SELECT count(*) FROM messages_search WHERE messages_search MATCH ?", (match,)
            ).fetchone()[0]
        )

    def _unread_among(
        self, conn: sqlite3.Connection, match: str, found: int, totals: tuple[int, int]
    ) -> int:
        """How many of the `found` messages matching `match` (index only) are unread."""
        total, unread = totals
        read = total - unread
        if found == 0 or read <= 0:
            return found
        if unread <= 0:
            return 0
        named_read = read <= unread
        named = min(read, unread)
        if named > MAX_NAMED or named > found * MATCH_COST:
            row = conn.execute(
                "SELECT coalesce(sum(m.read = 0), 0) FROM messages_search f "
                "JOIN messages m INDEXED BY messages_flags ON m.seq = f.rowid "
                "WHERE f.messages_search MATCH ?",
                (match,),
            ).fetchone()
            return int(row[0])
        scope = ""
        params: list[object] = [int(named_read)]
        if self.mailbox is not None:
            scope = " AND mailbox = ?"
            params.append(self.mailbox)
        seqs = conn.execute(
            f"SELECT seq FROM messages INDEXED BY messages_read WHERE read = ?{scope}", (*params,)
        ).fetchall()
        if not seqs:
            return found if named_read else 0
        names = " OR ".join(f"s{r[0]}" for r in seqs)
        among = self._count_index(conn, f"({match}) AND {{meta}} : ({names})")
        return found - among if named_read else among
