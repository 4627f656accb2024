"""Properties over generated input: parsers never fail, the DATA reader matches a reference."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailyard.sandbox.capture.data import read_data
from mailyard.sandbox.errors import QueryError
from mailyard.sandbox.mail import mimetree
from mailyard.sandbox.mail import view as mime
from mailyard.sandbox.mail.summary import summarize
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
MAILISH = st.lists(st.one_of(st.sampled_from(PIECES), st.binary(max_size=12)), max_size=60).map(
    b"".join
)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(MAILISH)
def test_summary_never_fails(raw: bytes) -> None:
    s = summarize(raw, ["rcpt@example.com"])
    assert isinstance(s.subject, str) and len(s.snippet) <= 250


@FAST
@given(MAILISH)
def test_view_and_parts_never_fail(raw: bytes) -> None:
    view = mime.view_message(raw)
    root, _ = mimetree.parse(raw)
    for leaf in root.leaves():
        assert isinstance(leaf.text(), str)
    for part in view.attachments + view.inline:
        info, data = mime.message_part(raw, part.part_id)
        assert info.size == len(data)


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
