"""The bulk DATA reader, fed through a real asyncio StreamReader."""

from __future__ import annotations

import asyncio
import tracemalloc

import pytest

from mailyard.sandbox.capture.data import DataTooLarge, read_data


def _read(
    stream: bytes, limit: int | None = None, chunk: int = 7, reader_limit: int = 64
) -> tuple[bytes, bytes]:
    async def go() -> tuple[bytes, bytes]:
        reader = asyncio.StreamReader(limit=reader_limit)
        for i in range(0, len(stream), chunk):  # arrive in small pieces, splitting the terminator
            reader.feed_data(stream[i : i + chunk])
        reader.feed_eof()
        data = await read_data(reader, limit)
        return data, await reader.read()

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        (b".\r\n", b""),
        (b"a\r\n.\r\n", b"a\r\n"),
        (b"..\r\n.\r\n", b".\r\n"),
        (b"...\r\n.\r\n", b"..\r\n"),
        (b".x\r\n.\r\n", b".x\r\n"),  # a dot the client did not stuff is kept
        (b"..\n..\r\n.\r\n", b".\n.\r\n"),
        (b"x.\r\ny\r\n.\r\n", b"x.\r\ny\r\n"),
        (b"lf only\nline\n..dot\n\r\n.\r\n", b"lf only\nline\n.dot\n\r\n"),
        (b"no final newline\r\n.\r\n", b"no final newline\r\n"),
        (b"a\n.\r\nb\r\n.\r\n", b"a\n.\r\nb\r\n"),  # a smuggling ending stays inside
        (b"a\r\n\x00.\r\nb\r\n.\r\n", b"a\r\n\x00.\r\nb\r\n"),
        (b"z" * 5000 + b"\r\n.\r\n", b"z" * 5000 + b"\r\n"),  # longer than the stream limit
    ],
)
def test_reads_to_the_terminator_and_unstuffs(stream: bytes, expected: bytes) -> None:
    for chunk in (1, 3, 7, 1000):
        data, rest = _read(stream + b"QUIT\r\n", chunk=chunk)
        assert data == expected
        assert rest == b"QUIT\r\n"  # pipelined bytes after the dot are left for the next command


def test_oversized_data_is_read_to_its_end_then_refused() -> None:
    stream = b"y" * 10_000 + b"\r\n.\r\nQUIT\r\n"

    async def go() -> bytes:
        reader = asyncio.StreamReader(limit=64)
        reader.feed_data(stream)
        reader.feed_eof()
        with pytest.raises(DataTooLarge):
            await read_data(reader, 1000)
        return await reader.read()

    assert asyncio.run(go()) == b"QUIT\r\n"


def test_exactly_at_the_limit_is_accepted() -> None:
    body = b"q" * 98 + b"\r\n"
    data, _ = _read(body + b".\r\n", limit=100)
    assert data == body
    with pytest.raises(DataTooLarge):
        _read(b"q" + body + b".\r\n", limit=100)


def test_connection_closed_mid_data_raises() -> None:
    with pytest.raises(asyncio.IncompleteReadError):
        _read(b"half a message\r\n")


def test_a_big_message_is_held_about_once_while_it_is_read() -> None:
    """Issue 9: peak memory at most 3 x a message's size in all, so reading DATA may not copy
    the whole message (it copied it twice: to bytes, then unstuffed)."""
    line = b"..a line that was dot-stuffed, as a client sends it\r\n"
    stream = line * (8 * 1024 * 1024 // len(line)) + b".\r\n"

    async def go() -> tuple[bytes, int]:
        reader = asyncio.StreamReader(limit=64 * 1024)

        async def arrive() -> None:  # as a socket delivers it: a piece per loop iteration
            for at in range(0, len(stream), 64 * 1024):
                reader.feed_data(stream[at : at + 64 * 1024])
                await asyncio.sleep(0)
            reader.feed_eof()

        tracemalloc.start()
        try:
            data, _ = await asyncio.gather(read_data(reader, None), arrive())
            return data, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    data, peak = asyncio.run(go())
    assert data == stream[:-3].replace(b"\n..", b"\n.")[1:]
    assert peak < 1.5 * len(stream)  # the message, the pieces in flight, headroom
