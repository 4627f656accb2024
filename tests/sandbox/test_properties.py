"""Properties over generated input: parsers never fail and stay within their time budget, the
DATA reader matches a reference.

The mail properties (issue 9) run `max_examples` from MAILYARD_FUZZ_EXAMPLES (default 200) so
the same tests make a long local fuzz run:

    MAILYARD_FUZZ_EXAMPLES=200000 python -m pytest -q tests/sandbox/test_properties.py -k mail
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailyard.sandbox.capture.data import read_data
from mailyard.sandbox.errors import QueryError
from mailyard.sandbox.mail import mimetree
from mailyard.sandbox.mail import view as mime
from mailyard.sandbox.mail.summary import html_to_text, summarize
from mailyard.sandbox.store import Store
from mailyard.sandbox.store.records import Envelope
from mailyard.sandbox.store.search import compile_query

# Bytes that look like mail often enough to reach the interesting paths.
PIECES = [
    b"\r\n",
    b"\n",
    b"\r",
    b".",
    b"..",
    b"--b",
    b"--b--",
    b"Content-Type: multipart/mixed; boundary=b",
    b"Content-Type: text/plain; charset=x-unknown",
    b"Content-Transfer-Encoding: base64",
    b"Content-Transfer-Encoding: quoted-printable",
    b"=?utf-8?q?=C3=A9?=",
    b"Subject: ",
    b"To: a@b, ",
    b'From: "x" <y@z>',
    b"\x00",
    b"\xff",
    b"=\r\n",
    b": ",
    b"filename*=utf-8''%E9",
]
# What hostile messages repeat thousands of times (issue 9, break 1 and 10).
RUNS = [
    b" ",
    b"a",
    b"a;",
    b"a=",
    b'"',
    b"\\",
    b"(",
    b"<",
    b">",
    b"<style ",
    b"</style",
    b"<head>",
    b"&#1",
    b"=?utf-8?b?QQ==?= ",
    b"=?",
    b"?=",
    b"=\r\n",
    b"!",
    b"QUJD",
    b"\r\n--b\r\n",
    b"\r\n--b",
    b"\n--",
    b"\r\n\r\n",
    b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n",
    b"; filename*1*=%41",
    b"X-H: v\r\n",
    b"\r\n ",
    b"a@b, ",
    b"<a@b>",
    b":",
    b"\xe9",
]
REPEATED = st.tuples(st.sampled_from(RUNS), st.integers(min_value=1, max_value=4000)).map(
    lambda run: run[0] * run[1]
)
MAILISH = st.lists(st.one_of(st.sampled_from(PIECES), st.binary(max_size=12)), max_size=60).map(
    b"".join
)
HOSTILE = st.lists(
    st.one_of(st.sampled_from(PIECES), st.binary(max_size=12), REPEATED), max_size=24
).map(b"".join)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FUZZ = settings(
    max_examples=int(os.environ.get("MAILYARD_FUZZ_EXAMPLES", "200")),
    deadline=None,  # our own time check below, proportional to the input
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

CONTROLS = re.compile(r"[\x00-\x1f\x7f]")

# Issue 9: 50 ms per 100 KB of input (at least 50 ms); 10x slack for a busy machine.
SLACK = 10


def within_budget(size: int, call: Callable[[], object]) -> None:
    """The call's CPU time (this process's only) against the budget; a slow run is timed twice
    more and the fastest counts, as a pause (a full GC of hypothesis' heap) only adds time."""
    limit = 0.050 * max(1.0, size / 102_400) * SLACK
    took = float("inf")
    for _ in range(3):
        started = time.process_time()
        call()
        took = min(took, time.process_time() - started)
        if took < limit:
            return
    raise AssertionError(f"{took * 1000:.0f} ms for {size} bytes (budget {limit * 1000:.0f} ms)")


@FUZZ
@given(st.one_of(MAILISH, HOSTILE))
def test_mail_summary_never_fails_and_stays_in_budget(raw: bytes) -> None:
    within_budget(len(raw), lambda: summarize(raw, ["rcpt@example.com"]))
    s = summarize(raw, ["rcpt@example.com"])
    assert isinstance(s.subject, str) and len(s.snippet) <= 250


@FUZZ
@given(st.one_of(MAILISH, HOSTILE))
def test_mail_tree_is_offsets_within_the_message(raw: bytes) -> None:
    within_budget(len(raw), lambda: mimetree.parse(raw))
    root, _ = mimetree.parse(raw)
    seen, stack = set(), [root]
    while stack:
        node = stack.pop()
        assert node.source is raw and 0 <= node.start <= node.end <= len(raw)
        assert node.part_id not in seen
        seen.add(node.part_id)
        assert [c.start for c in node.children] == sorted(c.start for c in node.children)
        stack.extend(node.children)
    for leaf in root.leaves():
        assert isinstance(leaf.text(), str)


@FUZZ
@given(st.one_of(MAILISH, HOSTILE))
def test_mail_view_and_parts_never_fail_and_stay_in_budget(raw: bytes) -> None:
    within_budget(len(raw), lambda: mime.view_message(raw))
    view = mime.view_message(raw)
    for part in view.attachments + view.inline:
        within_budget(len(raw), lambda p=part: mime.message_part(raw, p.part_id))  # type: ignore[misc]
        info, data = mime.message_part(raw, part.part_id)
        assert info.size == len(data)
        # Each may go into an HTTP header (break 10: a bare CR broke a download).
        assert re.fullmatch(r"[!-~]+/[!-~]+", info.content_type)
        assert not CONTROLS.search(info.filename + info.content_id)


@FUZZ
@given(st.one_of(MAILISH, HOSTILE).map(lambda raw: raw.decode("utf-8", "replace")))
def test_mail_html_to_text_never_fails_and_stays_in_budget(markup: str) -> None:
    within_budget(len(markup), lambda: html_to_text(markup))
    assert isinstance(html_to_text(markup), str)


def _reference(stream: bytes) -> bytes | None:
    """DATA by the book: lines end at CRLF, a lone '.' ends it, a leading dot is unstuffed
    (after a bare LF too, as the bulk reader documents). None when the stream never ends."""
    text = b"\r\n" + stream
    end = text.find(b"\r\n.\r\n")
    if end < 0:
        return None
    return text[: end + 2].replace(b"\n..", b"\n.")[2:]


@FAST
@given(MAILISH, st.integers(min_value=1, max_value=9))
def test_bulk_data_reader_matches_the_reference(body: bytes, chunk: int) -> None:
    stream = body + b"\r\n.\r\nQUIT\r\n"
    expected = _reference(stream)

    async def go() -> tuple[bytes, bytes]:
        reader = asyncio.StreamReader(limit=16)
        for i in range(0, len(stream), chunk):
            reader.feed_data(stream[i : i + chunk])
        reader.feed_eof()
        return await read_data(reader, None), await reader.read()

    data, rest = asyncio.run(go())
    assert data == expected
    assert stream.endswith(rest) and rest.endswith(b"QUIT\r\n")


_STORE: list[Store] = []


def _store() -> Store:
    if not _STORE:
        store = Store(":memory:")
        store.open()
        store.messages.ingest_sync(
            b"From: a@example.com\r\nTo: b@example.com\r\nSubject: hello world\r\n\r\nbody text",
            Envelope("a@example.com", ("b@example.com",)),
        )
        _STORE.append(store)
    return _STORE[0]


QUERY_PIECES = [
    "from:",
    "to:",
    "subject:",
    "tag:",
    "is:read",
    "has:attachment",
    "before:",
    "after:",
    "larger:",
    "-",
    '"',
    "*",
    "(",
    ")",
    "NOT",
    "OR",
    "AND",
    "{",
    "}",
    ":",
    "^",
    "+",
    "%",
    "_",
    "\\",
    "hello",
    "wörld",
    "再設定",
    "@",
    " ",
]
QUERIES = st.lists(st.one_of(st.sampled_from(QUERY_PIECES), st.text(max_size=6)), max_size=12).map(
    "".join
)


@FAST
@given(QUERIES)
def test_any_query_runs_or_says_why(query: str) -> None:
    """FTS5 has its own query syntax: whatever a user types must never reach it unescaped."""
    try:
        compile_query(query, now=0.0)
    except QueryError as exc:
        assert str(exc)
        return
    page = _store().messages.page(limit=10, query=query)
    assert page.count >= 0
