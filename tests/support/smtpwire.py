"""Speaking SMTP byte by byte, for tests that must see the exact replies."""

from __future__ import annotations

import asyncio


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
