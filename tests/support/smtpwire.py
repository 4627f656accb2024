"""Speaking SMTP byte by byte, for tests that must see the exact replies."""

from __future__ import annotations

import asyncio
import socket


async def smtp_exchange(port: int, data: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)

    async def reply() -> bytes:
        lines = b""
        while True:
            line = await reader.readline()
            lines += line
            if line[3:4] != b"-":
                return lines

    await reply()
    for command in (
        b"EHLO t\r\n",
        b"MAIL FROM:<a@example.com>\r\n",
        b"RCPT TO:<b@example.com>\r\n",
        b"DATA\r\n",
    ):
        writer.write(command)
        await reply()
    writer.write(data + b"\r\n.\r\n")
    result = await reply()
    writer.close()
    return result


class Conversation:
    """A bare SMTP client over a socket, for what smtplib will not send."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.file = self.sock.makefile("rb")
        assert self.reply().startswith(b"220")

    def reply(self) -> bytes:
        lines = []
        while True:
            line = self.file.readline()
            assert line, "connection closed"
            lines.append(line)
            if line[3:4] != b"-":
                return b"".join(lines)

    def cmd(self, data: bytes) -> bytes:
        self.sock.sendall(data)
        return self.reply()

    def close(self) -> None:
        self.sock.close()
