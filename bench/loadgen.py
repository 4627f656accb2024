"""A lean SMTP load generator: one round trip per command, like Postfix's smtp-source."""

from __future__ import annotations

import asyncio
import contextlib
import time


class Session:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Session:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        session = cls(reader, writer)
        await session.reply()
        await session.command(b"EHLO loadgen.local\r\n")
        return session

    async def reply(self) -> bytes:
        while True:
            line = await self.reader.readline()
            if not line:
                raise ConnectionError("server closed the connection")
            if line[3:4] != b"-":
                return line

    async def command(self, data: bytes, expect: bytes = b"2") -> bytes:
        self.writer.write(data)
        line = await self.reply()
        if not line.startswith(expect):
            raise RuntimeError(f"unexpected reply {line!r} to {data[:40]!r}")
        return line

    async def send(self, body: bytes) -> float:
        """One message; returns the seconds from DATA's end to the 250."""
        await self.command(b"MAIL FROM:<loadgen@example.com>\r\n")
        await self.command(b"RCPT TO:<sink@example.com>\r\n")
        await self.command(b"DATA\r\n", b"354")
        started = time.perf_counter()
        await self.command(body)
        return time.perf_counter() - started

    async def close(self) -> None:
        self.writer.write(b"QUIT\r\n")
        with contextlib.suppress(ConnectionError):
            await self.reply()
        self.writer.close()


def data_block(message: bytes) -> bytes:
    """The DATA payload: dot-stuffed, CRLF-terminated, with the final dot."""
    if not message.endswith(b"\r\n"):
        message += b"\r\n"
    return message.replace(b"\r\n.", b"\r\n..") + b".\r\n"


async def run(port: int, body: bytes, count: int, connections: int, reconnect: bool) -> list[float]:
    """Send `count` messages over `connections` concurrent senders; returns per-message ack times."""
    block = data_block(body)
    latencies: list[float] = []
    per_sender = [
        count // connections + (1 if i < count % connections else 0) for i in range(connections)
    ]

    async def sender(n: int) -> None:
        session = None if reconnect else await Session.open(port)
        for _ in range(n):
            if reconnect:
                session = await Session.open(port)
            assert session is not None
            latencies.append(await session.send(block))
            if reconnect:
                await session.close()
        if session is not None and not reconnect:
            await session.close()

    await asyncio.gather(*(sender(n) for n in per_sender))
    return latencies
