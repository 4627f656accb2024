"""Search semantics against a reference matcher written from Mailpit's rules.

`reference()` is plain Python over a message's stored fields, written from Mailpit's source
(`internal/storage/search.go`, `internal/tools/argsparser.go`, `utils.go`: cleanString,
createSearchText) with mailyard's documented differences (sandbox/store/search.py): Unicode
casefolding on both sides, address terms over "Name <address>" pairs, `%` and `_` literal,
relative dates, `mailbox:`. It shares no code with the store's search but the date reader
(`search_dates`, tested on its own table in test_search.py).

A table of query -> expected messages holds both the reference and the store to hand-checked
answers; then hypothesis draws queries over a generated corpus and holds the store to the
reference, counts included.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailyard.sandbox.clock import Clock
from mailyard.sandbox.mail.summary import Summary, summarize
from mailyard.sandbox.store import Store
from mailyard.sandbox.store.records import Envelope
from mailyard.sandbox.store.search_dates import parse_when, zone

NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z

# -- the reference ------------------------------------------------------------------------

GO_SPACES = "\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(
    chr(c) for c in range(0x2000, 0x200B)
)


def go_args(query: str) -> list[str]:
    """tools.ArgsParser, line by line."""
    out: list[str] = []
    buf = ""
    quoted = False
    for r in query:
        if r == '"':
            quoted = not quoted
            buf += r
        elif not quoted and r == " ":
            v = buf.replace('"', "").strip(GO_SPACES)
            if v:
                out.append(v)
            buf = ""
        else:
            buf += r
    if buf:
        v = buf.replace('"', "").strip(GO_SPACES)
        if v:
            out.append(v)
    return out


def go_clean(s: str) -> str:
    """cleanString, lowercasing by casefold (mailyard's rule)."""
    s = s.replace("\ufeff", " ")
    s = re.sub(r'(\r?\n|\t|>|<|"|,|;|\(|\))', " ", s)
    fields = [f for f in re.split(f"[{GO_SPACES}]+", s) if f]
    return " ".join(fields).casefold()


def go_size(v: str) -> int:
    m = re.fullmatch(r"([0-9]+)(\.[0-9]+)?[\t\n\f\r ]?([a-z]{1,2})?", v.lower())
    if not m:
        return 0
    i = float(m.group(1) + (m.group(2) or ""))
    unit = m.group(3) or ""
    return int(i * {"": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2}.get(unit, 0))


@dataclass(frozen=True)
class Stored:
    """What the reference reads of one message: its summary and what the store keeps."""

    name: str
    summary: Summary
    mail_from: str
    mailbox: str
    message_id: str  # as Mailpit shows it
    size: int
    created_ms: int
    read: bool
    tags: tuple[str, ...]

    def people(self, field: str) -> str:
        s = self.summary
        found = {
            "from": [s.sender] if s.sender else [],
            "to": s.to,
            "cc": s.cc,
            "bcc": s.bcc,
            "reply-to": s.reply_to,
        }[field]
        return ", ".join(f"{a.name} <{a.address}>" for a in found)

    def search_text(self) -> str:
        """createSearchText: From Subject To Cc Bcc Reply-To Return-Path body attachments."""
        s = self.summary
        parts = [self.people("from"), s.subject, self.people("to"), self.people("cc")]
        parts += [self.people("bcc"), self.people("reply-to"), self.mail_from]
        parts += [s.body_text, *s.attachment_names]
        return go_clean(" ".join(parts))


def reference(query: str, m: Stored, tz: str | None = None) -> bool:
    """searchQueryBuilder's WHERE, for one message."""
    for w in go_args(query):
        if go_clean(w) == "":
            continue
        lw = w.lower()
        exclude = False
        if len(w) > 1 and w[0] in "-!":
            exclude, w, lw = True, w[1:], lw[1:]
        verdict = _term(w, lw, exclude, m, tz)
        if verdict is False:
            return False
    return True


def _ascii_lower(text: str) -> str:
    return text.translate({c: c + 32 for c in range(ord("A"), ord("Z") + 1)})


def _like(haystack: str, needle: str, exclude: bool) -> bool | None:
    return (needle not in haystack) if exclude else (needle in haystack)


def _term(w: str, lw: str, exclude: bool, m: Stored, tz: str | None) -> bool | None:
    """True/False: the condition holds or not; None: the term adds no condition."""
    for field in ("to", "from", "cc", "bcc", "reply-to"):
        if lw.startswith(field + ":"):
            v = go_clean(w[len(field) + 1 :])
            return _like(go_clean(m.people(field)), v, exclude) if v else None
    if lw.startswith("addressed:"):
        v = go_clean(w[10:])
        if not v:
            return None
        hit = any(v in go_clean(m.people(f)) for f in ("to", "from", "cc", "bcc", "reply-to"))
        return hit != exclude
    if lw.startswith("subject:"):
        v = w[8:]
        return _like(m.summary.subject.casefold(), v.casefold(), exclude) if v else None
    if lw.startswith("message-id:"):
        v = go_clean(w[11:])
        return _like(m.message_id.casefold(), v, exclude) if v else None
    if lw.startswith("tag:"):
        v = go_clean(w[4:])
        if not v:
            return None
        hit = any(_ascii_lower(t) == _ascii_lower(v) for t in m.tags)  # COLLATE NOCASE
        return hit != exclude
    if lw in ("is:read", "is:unread"):
        return m.read == ((lw == "is:read") != exclude)
    if lw == "is:tagged":
        return bool(m.tags) != exclude
    if lw in ("has:inline", "has:inlines"):
        return (getattr(m.summary, "inlines", 0) > 0) != exclude
    if lw in ("has:attachment", "has:attachments"):
        return (m.summary.attachments > 0) != exclude
    for field in ("after:", "before:"):
        if lw.startswith(field):
            v = go_clean(w[len(field) :]).upper()
            ts = parse_when(v, zone(tz), NOW) if v else None
            if ts is None:
                return None
            at_least = (field == "after:") != exclude
            return m.created_ms >= ts if at_least else m.created_ms <= ts
    for field in ("larger:", "smaller:"):
        if lw.startswith(field) and go_size(go_clean(w[len(field) :])) > 0:
            n = go_size(go_clean(w[len(field) :]))
            bigger = (field == "larger:") != exclude
            return m.size > n if bigger else m.size < n
    if lw.startswith("mailbox:"):  # mailyard's
        return None if not w[8:] else (m.mailbox == w[8:]) != exclude
    return _like(m.search_text(), go_clean(w.lower()), exclude)


# -- a store and its messages, seen both ways ---------------------------------------------


def raw_message(
    subject: str,
    sender: str,
    to: str,
    body: str,
    *,
    cc: str = "",
    reply_to: str = "",
    message_id: str = "",
    tags: str = "",
    attachment: str = "",
    inline: bool = False,
) -> bytes:
    head = f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
    for name, value in (
        ("Cc", cc),
        ("Reply-To", reply_to),
        ("Message-ID", message_id),
        ("X-Tags", tags),
    ):
        if value:
            head += f"{name}: {value}\r\n"
    if not attachment and not inline:
        return (head + f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").encode()
    parts = f"--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    if attachment:
        parts += (
            "--B\r\nContent-Type: application/pdf\r\n"
            f'Content-Disposition: attachment; filename="{attachment}"\r\n\r\n%PDF\r\n'
        )
    if inline:
        parts += (
            "--B\r\nContent-Type: image/png\r\nContent-ID: <logo1>\r\n"
            'Content-Disposition: inline; filename="logo.png"\r\n\r\nPNG\r\n'
        )
    head += 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n'
    return (head + parts + "--B--\r\n").encode()


class Corpus:
    """A store holding named messages, and the same messages as the reference sees them."""

    def __init__(self, path: Path) -> None:
        self.clock = Clock.frozen(NOW)
        self.store = Store(str(path), clock=self.clock)
        self.store.open()
        self.stored: list[Stored] = []
        self._ids: dict[str, str] = {}

    def add(
        self, name: str, raw: bytes, mail_from: str, rcpt: str, mailbox: str = "default"
    ) -> None:
        envelope = Envelope(mail_from, (rcpt,), mailbox=mailbox)
        done = self.store.messages.ingest_sync(raw, envelope)
        summary = summarize(raw, [rcpt])
        record = self.store.messages.get(done.id).summary
        self._ids[done.id] = name
        self.stored.append(
            Stored(
                name,
                summary,
                mail_from,
                mailbox,
                summary.message_id or f"{done.id}@mailpit",
                len(raw),
                int(done.created * 1000),
                False,
                tuple(record.tags),
            )
        )
        self.clock.advance(60)

    def mark_read(self, names: set[str], read: bool = True) -> None:
        ids = [i for i, n in self._ids.items() if n in names]
        asyncio.run(self.store.messages.set_read(read, ids=ids))
        self.stored = [replace(s, read=read) if s.name in names else s for s in self.stored]

    def search(self, query: str, tz: str | None = None, limit: int = 1000) -> list[str]:
        page = self.store.messages.page(limit=limit, query=query, tz=tz)
        return sorted(self._ids[m.id] for m in page.messages)

    def expected(self, query: str, tz: str | None = None) -> list[str]:
        return sorted(s.name for s in self.stored if reference(query, s, tz))

    def counts(self, query: str) -> tuple[int, int]:
        page = self.store.messages.page(limit=1, query=query)
        return page.count, page.count_unread

    def expected_counts(self, query: str) -> tuple[int, int]:
        hits = [s for s in self.stored if reference(query, s)]
        return len(hits), sum(not s.read for s in hits)


# -- the hand-checked table -----------------------------------------------------------------


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    c = Corpus(tmp_path_factory.mktemp("table") / "s.db")
    c.add(
        "code",
        raw_message(
            "Your code is 493021",
            "App <app@example.com>",
            "Jane Doe <jane@example.com>",
            "Use 493021 to sign in. See the invoice.",
            reply_to="Support <support@help.example>",
            message_id="<code-1@example.com>",
        ),
        "bounce@example.org",
        "jane@example.com",
    )
    c.add(
        "welcome",
        raw_message(
            "Welcome aboard, Jürgen",
            "Jürgen Grünwald <jg@gruenwald.de>",
            "team@work.example",
            "Straße und Ärger; 100% sicher_x",
            cc="Ops <ops@work.example>",
            tags="onboarding",
        ),
        "jg@gruenwald.de",
        "team@work.example",
        mailbox="ci",
    )
    c.add(
        "report",
        raw_message(
            "Monthly report",
            "Reports <reports@corp.example>",
            "boss@corp.example",
            "The chart is attached.",
            attachment="chart.png",
        ),
        "reports@corp.example",
        "boss@corp.example",
    )
    c.add(
        "jp",
        raw_message(
            "パスワードの再設定",
            "認証 <auth@example.jp>",
            "taro@example.jp",
            "リンクをクリックしてください: https://app.example.jp/reset?token=Xy9",
            inline=True,
        ),
        "auth@example.jp",
        "taro+signup@example.jp",
    )
    c.add(
        "order",
        raw_message(
            "Order shipped",
            "Shop <orders@shop.example>",
            "bob@example.com",
            "Your order-12 shipped today.  Tracking: ZX-99",
        ),
        "orders@shop.example",
        "bob@example.com",
    )
    c.mark_read({"report"})
    yield c
    c.store.close()


ALL = ["code", "jp", "order", "report", "welcome"]
TABLE = [
    # substrings, Unicode case-insensitive (issue 14)
    ("voice", ["code"]),
    ("9302", ["code"]),
    ("subject:elcom", ["welcome"]),
    ("ÜRGEN", ["welcome"]),
    ("subject:JÜRGEN", ["welcome"]),  # Mailpit's LIKE would miss it: ASCII-only case folding
    ("STRASSE", ["welcome"]),  # casefolding: ß == ss
    ("chart.png", ["report"]),  # attachment names
    ("bounce@example.org", ["code"]),  # Return-Path (the envelope sender)
    ("addressed:support", ["code"]),  # Reply-To
    ("addressed:app@", ["code"]),  # From, as Mailpit's addressed: includes it
    ("!report", ["code", "jp", "order", "welcome"]),  # ! negates like -
    ("-report", ["code", "jp", "order", "welcome"]),
    ("--report", ALL),  # excludes the text "-report", which no message holds
    # fields
    ("from:jürgen", ["welcome"]),
    ("from:gruenwald.de", ["welcome"]),
    ('from:"Jane Doe"', []),  # Jane is in To
    ('to:"Jane Doe"', ["code"]),
    ("to:jane@", ["code"]),
    ("TO:Jane", ["code"]),  # keywords in any case
    ("cc:ops", ["welcome"]),
    ("-cc:ops", ["code", "jp", "order", "report"]),
    ("bcc:signup", ["jp"]),  # the envelope-only recipient is Bcc, as Mailpit writes it
    ("reply-to:help.example", ["code"]),
    ("message-id:code-1", ["code"]),
    ("message-id:<code-1@example.com>", ["code"]),  # <> cleaned away
    ("message-id:@mailpit", ["jp", "order", "report", "welcome"]),  # Mailpit's own ids
    ('subject:"report"', ["report"]),
    ('subject:"aboard, J"', ["welcome"]),  # the subject as written: comma and all
    ("aboard,", ["welcome"]),  # free text is cleaned: "aboard," is "aboard"
    ("tag:onboarding", ["welcome"]),
    ("tag:ONBOARDING", ["welcome"]),
    ("tag:signup", ["jp"]),  # plus-addressing
    ("is:tagged", ["jp", "welcome"]),
    ("-is:tagged", ["code", "order", "report"]),
    ("is:read", ["report"]),
    ("is:unread", ["code", "jp", "order", "welcome"]),
    ("-is:read", ["code", "jp", "order", "welcome"]),
    ("Is:Read", ["report"]),
    ("has:attachment", ["report"]),
    ("has:attachments", ["report"]),
    ("-has:attachment", ["code", "jp", "order", "welcome"]),
    ("has:inline", ["jp"]),
    # leniency: Mailpit searches these as text, or ignores them
    ("is:bogus", []),
    ("has:wings", []),
    ("larger:abc", []),
    ("larger:0", []),
    ("before:garbage", ALL),  # an unreadable date is ignored
    ("after:7d", ALL),  # mailyard reads ages; all are newer than a week
    ("to:", ALL),  # an empty field value is ignored
    (",", ALL),  # a term that cleans to nothing is skipped
    # sizes
    ("larger:1", ALL),
    ("smaller:1", []),
    ("larger:300", ["jp", "report"]),
    ("-larger:300", ["code", "order", "welcome"]),  # size < 300
    ("smaller:0.25k", ["code", "order", "welcome"]),  # 256 bytes
    # quotes, phrases, punctuation, CJK
    ('"order shipped"', ["order"]),
    ('"der shi"', ["order"]),  # a phrase is a substring too
    ("order-12", ["order"]),
    ("der-1", ["order"]),
    ('"shipped today. tracking"', ["order"]),  # white space runs are one space
    ('"today tracking"', []),  # the "." is not a space
    ('"-report"', ["code", "jp", "order", "welcome"]),  # quotes dropped, then negated
    ("100%", ["welcome"]),  # % is literal
    ("sicher_x", ["welcome"]),  # and _
    ("sicher_", ["welcome"]),
    ("sich_r", []),  # _ is no wildcard (Mailpit's LIKE would find "sicher")
    ("再設定", ["jp"]),
    ("クリック", ["jp"]),
    ("reset?token=xy9", ["jp"]),
    ("token=x", ["jp"]),
    ("zx-99", ["order"]),
    ("x-9", ["order"]),
    ("@", ALL),
    ("e", ALL),
    ("example", ALL),
    ("xample.co", ["code", "order"]),
    # combinations
    ("invoice 493021", ["code"]),
    ("invoice -jane", []),
    ("mailbox:ci", ["welcome"]),
    ("-mailbox:ci", ["code", "jp", "order", "report"]),
    pytest.param("is:unread -has:inline example", ["code", "order", "welcome"]),
    ("nothing-like-this", []),
    ("-nothing-like-this", ALL),
]


@pytest.mark.parametrize(("query", "expected"), TABLE)
def test_table(table: Corpus, query: str, expected: list[str]) -> None:
    assert table.expected(query) == expected, "the reference disagrees with the table"
    assert table.search(query) == expected
    assert table.counts(query) == table.expected_counts(query)


def test_dates_are_inclusive_as_mailpit_has_them(table: Corpus) -> None:
    created = {s.name: s.created_ms for s in table.stored}
    at = created["report"]
    stamp = f"{at // 1000}"  # Unix seconds: the report's own instant
    assert at % 1000 == 0
    assert table.search(f"before:{stamp}") == ["code", "report", "welcome"]
    assert table.search(f"after:{stamp}") == ["jp", "order", "report"]
    assert table.search(f"-before:{stamp}") == ["jp", "order", "report"]  # >= t
    assert table.search(f"-after:{stamp}") == ["code", "report", "welcome"]  # <= t
    for query in (f"before:{stamp}", f"-after:{stamp}", "before:2026/01/01", "after:2026-01-01"):
        assert table.search(query) == table.expected(query)


def test_tz_moves_a_date_and_an_unknown_one_is_the_local_zone(table: Corpus) -> None:
    # The messages were stored from 2026-01-01T00:00Z on, a minute apart.
    assert table.search("after:2026-01-01", tz="UTC") == ALL
    assert table.search("after:2026-01-01", tz="Asia/Tokyo") == ALL  # 15:00Z the day before
    assert table.search("after:2026-01-01 before:2026-01-01T00:02:00Z", tz="UTC") == [
        "code",
        "report",
        "welcome",
    ]
    assert table.search("before:2026-01-01", tz="UTC") == ["code"]  # at 00:00:00.000: inclusive
    assert table.search("before:2026-01-01", tz="America/New_York") == ALL  # 05:00Z
    assert table.search("before:2026-01-01", tz="No/Such_Zone") == table.search(
        "before:2026-01-01", tz=None
    )


# -- generated queries over a generated corpus ---------------------------------------------

WORDS = [
    "invoice",
    "Straße",
    "ÄRGER",
    "jürgen",
    "order-12",
    "zx_9",
    "re-set",
    "パスワード",
    "再設定",
]
NAMES = ["Jane Doe", "Jürgen", "", "O'Brien", "Ops, Team"]
DOMAINS = ["example.com", "shop.example", "mail.de"]


def _generated_corpus(path: Path) -> Corpus:
    rng = random.Random(14)
    c = Corpus(path)
    for i in range(40):
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 6)))
        user = rng.choice(["jane", "bob", "ops", "jg"])
        sender = f"{rng.choice(NAMES)} <{user}@{rng.choice(DOMAINS)}>".strip()
        to = f"{rng.choice(['team', 'bob', 'taro'])}@{rng.choice(DOMAINS)}"
        c.add(
            f"m{i:02d}",
            raw_message(
                rng.choice(["Welcome", "Reset: your code", "Order 12 shipped", words.title()]),
                sender,
                to,
                words + f" code {rng.randint(100000, 999999)}",
                cc=rng.choice(["", f"ops@{rng.choice(DOMAINS)}"]),
                tags=rng.choice(["", "a", "b,c"]),
                attachment=rng.choice(["", "chart.png", "Rechnung 12.pdf"]),
                inline=rng.random() < 0.2,
            ),
            f"bounce{i % 3}@example.org",
            to,
            mailbox=rng.choice(["default", "ci"]),
        )
    c.mark_read({f"m{i:02d}" for i in range(0, 40, 3)})
    return c


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    c = _generated_corpus(tmp_path_factory.mktemp("generated") / "s.db")
    yield c
    c.store.close()


_texts = [*WORDS, "code", "12", "e", "ar", "jane@", "@example.com", "shop.ex", "chart", "12.pdf"]
_texts += ["straße ärger", "set jür", "code 4", "Reset: your", "shipped code", "t:  y", "ワード再"]
PIECE = st.one_of(
    st.sampled_from(_texts),
    st.sampled_from(_texts).map(lambda w: w[1:-1] or w),
    st.sampled_from(_texts).map(str.upper),
    st.sampled_from(
        [
            "is:read",
            "is:unread",
            "is:tagged",
            "has:attachment",
            "has:inline",
            "tag:a",
            "tag:C",
            "larger:600",
            "smaller:1k",
            "mailbox:ci",
            "is:nope",
            "after:2026-01-01T00:10:00Z",
            "before:1767226200",
        ]
    ),
)
FIELD = st.sampled_from(["", "", "to:", "from:", "cc:", "subject:", "addressed:", "bcc:"])
TERM = st.tuples(st.sampled_from(["", "", "-", "!"]), FIELD, PIECE, st.booleans()).map(
    lambda t: f'{t[0]}{t[1]}"{t[2]}"' if t[3] else f"{t[0]}{t[1]}{t[2]}"
)
QUERY = st.lists(TERM, min_size=1, max_size=3).map(" ".join)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=QUERY)
def test_generated_queries_match_the_reference(generated: Corpus, query: str) -> None:
    assert generated.search(query) == generated.expected(query), query
    assert generated.counts(query) == generated.expected_counts(query), query
