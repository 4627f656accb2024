"""The webhook client's answer parser: fed whole or byte by byte, bounded, and telling whether the
connection can be kept."""

from __future__ import annotations

import pytest

from mailyard.senders.http1 import Answer, Connection

HEAD, BODY, KEEP = 1024, 64, 8


def parse(raw: bytes, *, split: bool = False) -> tuple[bool, Answer]:
    answer = Answer(HEAD, BODY, KEEP)
    pieces = [raw[i : i + 1] for i in range(len(raw))] if split else [raw]
    done = False
    for piece in pieces:
        assert not done, "fed past the end"
        done = answer.feed(piece)
    return done, answer


@pytest.mark.parametrize("split", [False, True])
@pytest.mark.parametrize(
    ("raw", "status", "body", "keep"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 200, b"ok", True),
        (b"HTTP/1.1 204 No Content\r\n\r\n", 204, b"", True),
        (b"HTTP/1.1 500 Oops\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 500, b"", False),
        (b"HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", 200, b"x", False),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: 1\r\n\r\n",
            200,
            b"abcde",
            True,
        ),
        (
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 3\r\n\r\nnew",
            201,
            b"new",
            True,
        ),
        # Longer than KEEP: the first bytes kept; longer than BODY: read no further, not kept.
        (b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n" + b"y" * 20, 200, b"y" * KEEP, True),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n" + b"z" * BODY, 200, b"z" * KEEP, False),
    ],
)
def test_answers(raw: bytes, status: int, body: bytes, keep: bool, split: bool) -> None:
    done, answer = parse(raw, split=split)
    assert done and (answer.status, bytes(answer.body), answer.keep) == (status, body, keep)


def test_a_body_without_length_runs_to_the_close() -> None:
    done, answer = parse(b"HTTP/1.1 200 OK\r\n\r\nsome")
    assert not done and answer.closed()  # complete once the connection closes
    assert bytes(answer.body) == b"some" and not answer.keep


def test_a_long_chunked_body_stops_at_the_bound() -> None:
    done, answer = parse(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\n" + b"q" * BODY
    )
    assert done and not answer.keep and bytes(answer.body) == b"q" * KEEP


def test_extra_bytes_after_the_answer_spoil_the_connection() -> None:
    done, answer = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200")
    assert done and not answer.keep


@pytest.mark.parametrize(
    "raw",
    [
        b"SMTP 220 hello\r\n\r\n",
        b"HTTP/1.1 abc OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\n" + b"X-Long: " + b"a" * (2 * HEAD),
    ],
)
def test_malformed_or_unbounded_answers_are_refused(raw: bytes) -> None:
    with pytest.raises(ValueError):
        parse(raw)


class _ForeignTransport:
    """A transport of another loop (uvloop's are not asyncio.Transport subclasses)."""

    def __init__(self) -> None:
        self.written = b""
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True


async def test_a_connection_works_over_a_transport_that_is_not_asyncios() -> None:
    connection = Connection(HEAD, BODY, KEEP)
    transport = _ForeignTransport()
    connection.connection_made(transport)  # type: ignore[arg-type]
    answer = connection.send(b"POST / HTTP/1.1\r\n\r\n")
    connection.data_received(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    assert await answer == (200, b"ok", True)
    assert transport.written == b"POST / HTTP/1.1\r\n\r\n"
    connection.close()
    assert transport.closed
